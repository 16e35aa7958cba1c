package receipt_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/receipt/receipttest"
)

var update = flag.Bool("update", false, "rewrite golden files and fixtures under testdata/receipt")

// Fixed inputs make Ed25519 signatures, and so the golden files, reproducible.
var (
	t0          = time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC)
	subject     = "sub_abcdefghijklmnopqrstuvwxyz"
	deviceKey   = ed25519.NewKeyFromSeed([]byte("kaiconn-test-device-key-seed-32b"))
	serverSeeds = [][]byte{[]byte("kaiconn-test-server-key-1-seed32"), []byte("kaiconn-test-server-key-2-seed32")}
)

func newSigned(t testing.TB, signer receipt.Signer, id, prev string, at time.Time) *receipt.Signed {
	t.Helper()
	p := receipttest.Params(subject, prev, at)
	p.ID = id
	s, err := receipt.Sign(receipt.New(p), signer)
	require.NoError(t, err)
	return s
}

func canonical(t testing.TB, s *receipt.Signed) []byte {
	t.Helper()
	b, err := s.Canonical()
	require.NoError(t, err)
	return b
}

func TestSign(t *testing.T) {
	t.Run("OKEd25519", func(t *testing.T) {
		s := newSigned(t, receipt.GenerateEd25519Signer(), "", "", t0)
		require.NoError(t, s.VerifyDevice())
		assert.Equal(t, receipt.AlgEdDSA, s.Device.Alg)
		assert.Equal(t, receipt.Kaiconn, s.Receipt.Controller)
		assert.Equal(t, "2025-03-01T08:30:00.000Z", s.Receipt.IssuedAt)
		assert.Equal(t, "", s.Receipt.Purposes[1].ExpiresAt, "a refused purpose has no expiry")
	})
	t.Run("OKES256RawSignature", func(t *testing.T) {
		s := newSigned(t, receipt.GenerateES256Signer(), "", "", t0)
		require.NoError(t, s.VerifyDevice())
		sig, err := base64URL(s.Device.Sig)
		require.NoError(t, err)
		assert.Len(t, sig, 64, "ES256 signatures are raw r||s like WebCrypto, not DER")
		assert.NotEmpty(t, s.Device.JWK.Y)
	})
	t.Run("ErrInvalidParams", func(t *testing.T) {
		p := receipttest.Params("+86 138 0013 8000", "", t0)
		_, err := receipt.Sign(receipt.New(p), receipt.GenerateEd25519Signer())
		require.Error(t, err)
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.Contains(t, errs.Message(err), "never a phone number")
	})
	t.Run("ErrTamperedReceipt", func(t *testing.T) {
		s := newSigned(t, receipt.GenerateEd25519Signer(), "", "", t0)
		s.Receipt.Purposes[1].State = receipt.StateGiven
		err := s.VerifyDevice()
		require.Error(t, err)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		s := newSigned(t, receipt.GenerateES256Signer(), "", "", t0)
		s.Device.JWK = receipt.GenerateES256Signer().PublicJWK()
		assert.Equal(t, errs.Unprocessable, errs.Code(s.VerifyDevice()))
	})
}

func TestSignV2(t *testing.T) {
	sign := func(t *testing.T, r *receipt.Receipt) (*receipt.Signed, error) {
		t.Helper()
		return receipt.Sign(r, receipt.GenerateEd25519Signer())
	}
	t.Run("OK", func(t *testing.T) {
		p := receipttest.ParamsV2(subject, "", t0)
		p.Confirmed = []string{"age-18"}
		s, err := sign(t, receipt.New(p))
		require.NoError(t, err)
		require.NoError(t, s.VerifyDevice())
		r := s.Receipt
		assert.Equal(t, receipt.SchemaV2, r.Schema)
		assert.Equal(t, 2, r.SchemaVersion())
		assert.Equal(t, receipt.Controller{}, r.Controller, "v2 names its controller by notice only")
		assert.Equal(t, receipttest.NoticeHash("shown app "+receipt.LangZhHans), r.Notice)
		assert.Equal(t, []string{"age-18"}, r.Confirmed)
		assert.Empty(t, r.Purposes[0].Time, "a v2 purpose's state is set at issuedAt")
		assert.Equal(t, "2026-03-01T08:30:00.000Z", r.Purposes[0].ExpiresAt)
		assert.Empty(t, r.Purposes[1].ExpiresAt)

		var doc map[string]any
		require.NoError(t, json.Unmarshal(canonical(t, s), &doc))
		rec := doc["receipt"].(map[string]any)
		assert.Equal(t, []string{"decision", "id", "issuedAt", "jurisdiction", "language", "notice", "policy", "prevHash", "purposes", "schema", "subject", "surface"},
			slices.DeleteFunc(keys(rec), func(k string) bool { return k == "confirmed" }), "one notice names every text: no controller, no withdrawal")
		given := rec["purposes"].([]any)[0].(map[string]any)
		assert.Equal(t, []string{"expiresAt", "id", "state"}, keys(given), "a purpose names no notice of its own")
		refused := rec["purposes"].([]any)[1].(map[string]any)
		assert.Equal(t, []string{"id", "state"}, keys(refused), "a refused purpose has no expiresAt member")
	})
	t.Run("OKV1StillBuilt", func(t *testing.T) {
		s, err := sign(t, receipt.New(receipttest.Params(subject, "", t0)))
		require.NoError(t, err)
		assert.Equal(t, receipt.SchemaV1, s.Receipt.Schema, "Params without a schema build kaiconn-receipt/1")
		assert.Equal(t, receipt.Kaiconn, s.Receipt.Controller)
	})
	t.Run("OKNoConfirmedIsAbsent", func(t *testing.T) {
		p := receipttest.ParamsV2(subject, "", t0)
		p.Confirmed = []string{}
		s, err := sign(t, receipt.New(p))
		require.NoError(t, err)
		assert.Nil(t, s.Receipt.Confirmed)
		assert.NotContains(t, string(canonical(t, s)), "confirmed")
	})
	for _, tt := range []struct {
		name string
		edit func(r *receipt.Receipt)
		want string
	}{
		{"ErrV1ControllerInV2", func(r *receipt.Receipt) { r.Controller = receipt.Kaiconn }, "receipt.controller: is not a member of kaiconn-receipt/2"},
		{"ErrV1RecipientInV2", func(r *receipt.Receipt) { r.Purposes[1].Recipient = "Tencent" }, "receipt.purposes[1].recipient: is not a member of kaiconn-receipt/2"},
		{"ErrV1WithdrawInV2", func(r *receipt.Receipt) {
			r.Purposes[0].Withdraw = receipt.Withdrawal{Text: "x", URL: receipt.WithdrawURL}
		}, "receipt.purposes[0].withdraw: is not a member of kaiconn-receipt/2"},
		{"ErrNoticeMissing", func(r *receipt.Receipt) { r.Notice = "" }, "receipt.notice: must be 64 lowercase hex digits"},
		{"ErrNoticeUppercase", func(r *receipt.Receipt) { r.Notice = strings.ToUpper(r.Notice) }, "receipt.notice: must be 64 lowercase hex digits"},
		{"ErrExpiryOnRefused", func(r *receipt.Receipt) { r.Purposes[1].ExpiresAt = r.Purposes[0].ExpiresAt }, "receipt.purposes[1].expiresAt: must be absent"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := receipt.New(receipttest.ParamsV2(subject, "", t0))
			tt.edit(r)
			_, err := sign(t, r)
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.want)
			_, err = receipt.Attest(r)
			assert.Contains(t, errs.Message(err), tt.want, "the server attests by the same rules")
		})
	}
	t.Run("ErrV2MembersInV1", func(t *testing.T) {
		r := receipt.New(receipttest.Params(subject, "", t0))
		r.Notice = receipttest.NoticeHash("shown app " + receipt.LangZhHans)
		_, err := sign(t, r)
		assert.Contains(t, errs.Message(err), "receipt.notice: is not a member of kaiconn-receipt/1")
	})
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestNewSubject(t *testing.T) {
	a, b := receipt.NewSubject(), receipt.NewSubject()
	assert.NotEqual(t, a, b)
	require.NoError(t, receipt.CheckSubject(a))
	assert.Len(t, a, 30)
}

func TestCheckSubject(t *testing.T) {
	for _, tt := range []struct {
		name, subject, want string
	}{
		{"OKBase32", "sub_abcdefghijklmnopqrstuvwxyz", ""},
		{"OKUUID", "0f8fad5b-d9cb-469f-a165-70867728950e", ""},
		{"ErrPhone", "13800138000", "never a phone number"},
		{"ErrPhoneIntl", "+86 138-0013-8000", "never a phone number"},
		{"ErrEmail", "li.lei@example.com", "never a phone number or email"},
		{"ErrName", "李雷", "26 lowercase base32"},
		{"ErrUpperUUID", "0F8FAD5B-D9CB-469F-A165-70867728950E", "26 lowercase base32"},
		{"ErrShort", "sub_abc", "26 lowercase base32"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := receipt.CheckSubject(tt.subject)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.want)
		})
	}
}

// TestGolden pins the canonical bytes of a receipt signed with a fixed key:
// any change to the format, the canonicalisation or the hash shows up here.
func TestGolden(t *testing.T) {
	s := newSigned(t, &receipt.Ed25519Signer{Key: deviceKey}, "7c9e6679-7425-40de-944b-e07fc1f90ae7", "", t0)
	got := canonical(t, s)
	hash, err := s.Hash()
	require.NoError(t, err)
	golden(t, "envelope.canonical.json", got)
	golden(t, "envelope.hash", []byte(hash+"\n"))

	var indented bytes.Buffer
	require.NoError(t, json.Indent(&indented, got, "", "  "))
	golden(t, "envelope.example.json", append(indented.Bytes(), '\n'))
}

// TestGoldenV2 pins the canonical bytes of a kaiconn-receipt/2 receipt.
func TestGoldenV2(t *testing.T) {
	p := receipttest.ParamsV2(subject, "", t0)
	p.ID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	s, err := receipt.Sign(receipt.New(p), &receipt.Ed25519Signer{Key: deviceKey})
	require.NoError(t, err)
	got := canonical(t, s)
	hash, err := s.Hash()
	require.NoError(t, err)
	golden(t, "envelope-v2.canonical.json", got)
	golden(t, "envelope-v2.hash", []byte(hash+"\n"))
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "receipt", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./receipt -update to create %s", path)
	assert.Equal(t, string(want), string(got), "%s differs; if the change is meant, run go test ./receipt -update", name)
}

func base64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimSpace(s))
}
