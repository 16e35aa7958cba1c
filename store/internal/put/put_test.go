package put_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/receipt/receipttest"
	"github.com/kaiconn/consent/store/internal/put"
)

func TestCheck(t *testing.T) {
	const subject, other, key = "sub_a", "sub_b", "key-1"
	device := receipt.Record{Subject: subject, PrevHash: "h1", DeviceKey: key}
	server := receipt.Record{Subject: subject, PrevHash: "h1"}
	first := receipt.Record{Subject: subject, DeviceKey: key}
	ticket := receipt.PutOptions{EnrollKey: true}
	newSubject := receipt.PutOptions{NewSubject: true}
	for _, tt := range []struct {
		name   string
		r      receipt.Record
		opt    receipt.PutOptions
		facts  put.Facts
		enroll bool
		code   string
	}{
		{"FirstReceiptEnrolls", first, receipt.PutOptions{}, put.Facts{}, true, ""},
		{"EnrolledKey", device, receipt.PutOptions{}, put.Facts{Head: "h1", KeySubject: subject}, false, ""},
		{"TicketEnrolls", device, ticket, put.Facts{Head: "h1"}, true, ""},
		{"TicketForEnrolledKey", device, ticket, put.Facts{Head: "h1", KeySubject: subject}, false, ""},
		{"ServerAttested", server, receipt.PutOptions{}, put.Facts{Head: "h1"}, false, ""},
		{"ErrNotEnrolled", device, receipt.PutOptions{}, put.Facts{Head: "h1"}, false, errs.Forbidden},
		{"ErrOtherSubject", device, receipt.PutOptions{}, put.Facts{Head: "h1", KeySubject: other}, false, errs.Forbidden},
		{"ErrOtherSubjectWithTicket", device, ticket, put.Facts{Head: "h1", KeySubject: other}, false, errs.Forbidden},
		{"ErrFirstWithOthersKey", first, receipt.PutOptions{}, put.Facts{KeySubject: other}, false, errs.Forbidden},
		{"ErrStaleHead", device, receipt.PutOptions{}, put.Facts{Head: "h2", KeySubject: subject}, false, errs.Conflict},
		{"ErrRestart", first, receipt.PutOptions{}, put.Facts{Head: "h1", KeySubject: subject}, false, errs.Conflict},
		{"ErrOrphan", device, receipt.PutOptions{}, put.Facts{}, false, errs.Conflict},
		{"NewSubjectFirstReceipt", first, newSubject, put.Facts{}, true, ""},
		{"NewSubjectServerAttested", receipt.Record{Subject: subject}, newSubject, put.Facts{}, false, ""},
		{"ErrNewSubjectHasReceipts", device, newSubject, put.Facts{Head: "h1"}, false, errs.Forbidden},
		{"ErrNewSubjectServerAttestedHasReceipts", server, newSubject, put.Facts{Head: "h1"}, false, errs.Forbidden},
		{"ErrNewSubjectEvenWithEnrolledKey", device, newSubject, put.Facts{Head: "h1", KeySubject: subject}, false, errs.Forbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.r
			enroll, err := put.Check(&r, tt.opt, tt.facts)
			assert.Equal(t, tt.code, errs.Code(err), "%v", err)
			assert.Equal(t, tt.enroll, enroll)
		})
	}
}

func TestCheckSetsReask(t *testing.T) {
	for _, tt := range []struct {
		name        string
		headVersion string
		reask       bool
	}{
		{"FirstReceipt", "", false},
		{"SameVersion", "2022-10", false},
		{"OlderHead", "2021-01", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := receipt.Record{Subject: "sub_a", PrevHash: "h1", PolicyVersion: "2022-10", Reask: !tt.reask}
			head := "h1"
			if tt.headVersion == "" {
				r.PrevHash, head = "", ""
			}
			_, err := put.Check(&r, receipt.PutOptions{}, put.Facts{Head: head, HeadVersion: tt.headVersion})
			require.NoError(t, err)
			assert.Equal(t, tt.reask, r.Reask)
		})
	}
}

func TestPrepare(t *testing.T) {
	now := time.Date(2026, 11, 29, 4, 30, 0, 123456789, time.FixedZone("CST", 8*60*60))
	r := receipt.Record{ID: "r1", Subject: "sub_a", Hash: "h", Schema: 2, States: map[string]string{}}
	got, err := put.Prepare(r, now)
	require.NoError(t, err)
	assert.Equal(t, now.UTC().Truncate(time.Microsecond), got.ReceivedAt)
	assert.Nil(t, got.States, "no states is nil")
	assert.Equal(t, []byte{}, got.Body)
	assert.True(t, got.ShownAt.IsZero())

	r.ShownAt = now
	got, err = put.Prepare(r, now)
	require.NoError(t, err)
	assert.Equal(t, time.UTC, got.ShownAt.Location())
	assert.Equal(t, 123456000, got.ShownAt.Nanosecond())
}

func TestDerive(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	signer := receipt.GenerateEd25519Signer()
	signed, err := receipt.Sign(receipt.New(receipttest.Params(receipt.NewSubject(), "", at)), signer)
	require.NoError(t, err)
	device, err := signed.Canonical()
	require.NoError(t, err)
	attested, err := receipt.Attest(receipt.New(receipttest.Params(receipt.NewSubject(), "", at)))
	require.NoError(t, err)
	server, err := attested.Canonical()
	require.NoError(t, err)
	thumb, err := signer.PublicJWK().Thumbprint()
	require.NoError(t, err)
	states := map[string]string{receipttest.PurposeAccount: receipt.StateGiven, receipttest.PurposeCrash: receipt.StateRefused}

	for _, tt := range []struct {
		name string
		body []byte
		want put.Derived
		ok   bool
	}{
		{"DeviceSigned", device, put.Derived{Schema: 1, Language: receipt.LangZhHans, Decision: receipt.DecisionAgreed, DeviceKey: thumb, States: states}, true},
		{"ServerAttested", server, put.Derived{Schema: 1, Language: receipt.LangZhHans, Decision: receipt.DecisionAgreed, States: states}, true},
		{"SchemaTwo", []byte(`{"attestation":"server","receipt":{"schema":"kaiconn-receipt/2","language":"en","decision":"declined","purposes":[{"id":"push","state":"refused"}]}}`),
			put.Derived{Schema: 2, Language: receipt.LangEn, Decision: receipt.DecisionDeclined, States: map[string]string{"push": receipt.StateRefused}}, true},
		{"NotAnEnvelope", []byte(`{"id":"x"}`), put.Derived{Schema: 1}, false},
		{"NotJSON", []byte("\x00garbage"), put.Derived{Schema: 1}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := put.Derive(tt.body)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestStates(t *testing.T) {
	states := map[string]string{"push": "given", "location": "refused"}
	enc := put.EncodeStates(states)
	assert.Equal(t, `{"location":"refused","push":"given"}`, enc)
	got, err := put.DecodeStates([]byte(enc))
	require.NoError(t, err)
	assert.Equal(t, states, got)

	assert.Equal(t, "{}", put.EncodeStates(nil))
	got, err = put.DecodeStates([]byte("{}"))
	require.NoError(t, err)
	assert.Nil(t, got)
}

func TestReask(t *testing.T) {
	assert.False(t, put.Reask("", "2022-10"), "a first receipt answers nothing again")
	assert.False(t, put.Reask("2022-10", "2022-10"))
	assert.True(t, put.Reask("2022-10", "2025-06-01"))
	assert.False(t, put.Reask("2025-06-01", "2022-10"))
}
