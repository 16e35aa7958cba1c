package proof_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/proof"
	"github.com/kaiconn/consent/receipt"
)

func fixture(name string) string { return filepath.Join("..", "testdata", "receipt", name) }

func readJSON[T any](t *testing.T, name string) T {
	t.Helper()
	data, err := os.ReadFile(fixture(name))
	require.NoError(t, err)
	var v T
	require.NoError(t, json.Unmarshal(data, &v))
	return v
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(fixture(name))
	require.NoError(t, err)
	return data
}

// The fixtures' server key (cmd/kaiconn-verify/fixtures_test.go).
var serverKey = ed25519.NewKeyFromSeed([]byte("kaiconn-test-server-key-2-seed32"))

// Inspect judges each check of each receipt on its own, and agrees with
// receipt.VerifyChain and Sources.Check on the whole chain.
func TestInspect(t *testing.T) {
	jwks := read(t, "jwks.json")
	single := func(name string) receipt.History {
		return receipt.History{Receipts: []receipt.Countersigned{readJSON[receipt.Countersigned](t, name)}}
	}
	for _, tt := range []struct {
		name    string
		history receipt.History
		at      int    // the receipt that fails; -1 for none
		check   string // the check that fails
		message string
	}{
		{"OKMixedChain", readJSON[receipt.History](t, "v2-history.json"), -1, "", ""},
		{"OKV1Chain", readJSON[receipt.History](t, "history.json"), -1, "", ""},
		{"ErrBrokenChain", readJSON[receipt.History](t, "broken-chain.json"), 1, "link", "chain broken: prevHash is not the hash of receipts[0]"},
		{"ErrDeviceSignature", single("altered-receipt.json"), 0, "device", "device.sig: signature does not verify"},
		{"ErrCountersignature", single("swapped-countersignature.json"), 0, "countersignature", "countersignature: signs other bytes"},
		{"ErrPolicyHash", single("v2-altered-policy.json"), 0, "policy", "receipt.policy.sha256: not the hash of policy/2022-10/en.md"},
		{"ErrNotice", single("v2-foreign-notice.json"), 0, "notices", "receipt.notice: the notice shown to the app audience in zh-Hans"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rep := proof.Inspect(tt.history, jwks, proof.Embedded())
			require.Len(t, rep.Items, len(tt.history.Receipts))
			chainErr := receipt.VerifyChain(tt.history, jwks)
			var checkErr error
			for _, c := range tt.history.Receipts {
				if s, err := receipt.Decode(c.Envelope); err == nil {
					if _, err := proof.Embedded().Check(&s.Receipt); err != nil && checkErr == nil {
						checkErr = err
					}
				}
			}
			if tt.at < 0 {
				require.NoError(t, rep.Err())
				require.NoError(t, chainErr)
				require.NoError(t, checkErr)
				for _, it := range rep.Items {
					assert.True(t, it.OK())
					assert.Equal(t, it.ID, it.Signed.Receipt.ID)
					assert.Equal(t, proof.OK, it.Countersignature.Status)
					assert.Equal(t, proof.OK, it.Link.Status)
				}
				return
			}
			require.Error(t, rep.Err())
			assert.True(t, chainErr != nil || checkErr != nil, "the whole-chain checks refuse it too")
			it := rep.Items[tt.at]
			assert.False(t, it.OK())
			got := map[string]proof.Result{"device": it.Device, "countersignature": it.Countersignature, "link": it.Link,
				"policy": it.Policy, "notices": it.Notices}[tt.check]
			assert.Equal(t, proof.Failed, got.Status)
			assert.Contains(t, got.Message, tt.message)
			for name, r := range map[string]proof.Result{"device": it.Device, "countersignature": it.Countersignature,
				"link": it.Link, "policy": it.Policy, "notices": it.Notices} {
				// A lone receipt that is not the first of its chain has a
				// broken link of its own; the device signature is covered
				// by the countersignature.
				alone := len(tt.history.Receipts) == 1 && name == "link"
				if name != tt.check && !alone && !(tt.check == "device" && name == "countersignature") {
					assert.NotEqual(t, proof.Failed, r.Status, "%s fails too: %s", name, r.Message)
				}
			}
		})
	}
	t.Run("TextsReconstructed", func(t *testing.T) {
		rep := proof.Inspect(readJSON[receipt.History](t, "v2-history.json"), jwks, proof.Embedded())
		v1, v2 := rep.Items[0], rep.Items[1]
		assert.Equal(t, proof.NotApplicable, v1.Device.Status, "server-attested")
		assert.Equal(t, proof.NotApplicable, v1.Notices.Status, "texts inline")
		assert.Equal(t, proof.OK, v2.Notices.Status)
		assert.Equal(t, "policy/2022-10/en.md", v2.Texts.PolicyFile)
		assert.NotEmpty(t, v2.Texts.PolicyText)
		require.NotEmpty(t, v2.Texts.Purposes)
		assert.Equal(t, "analytics", v2.Texts.Purposes[0].ID)
		assert.NotEmpty(t, v2.Texts.Purposes[0].Notice.Recipient)
		assert.Equal(t, 3+len(v2.Texts.Purposes), len(v2.Texts.NoticeRefs(&v2.Signed.Receipt)))
	})
}

func TestBundle(t *testing.T) {
	keys, err := receipt.NewKeyring(serverKey)
	require.NoError(t, err)
	history := readJSON[receipt.History](t, "v2-history.json")
	at := time.Date(2026, 12, 2, 4, 30, 0, 0, time.UTC)
	data, err := proof.Build(history, keys.JWKS(), proof.Embedded(), keys, at)
	require.NoError(t, err)

	t.Run("OK", func(t *testing.T) {
		v, err := proof.Verify(data, nil)
		require.NoError(t, err)
		assert.Equal(t, history.Subject, v.Bundle.Subject)
		assert.Equal(t, keys.KeyID(), v.SealKeyID)
		assert.Equal(t, []string{keys.KeyID()}, v.KeyIDs)
		assert.Len(t, v.Report.Items, 3)
		assert.Equal(t, 21, v.Texts)
		assert.Len(t, v.Bundle.Policies, 1, "one policy text: every receipt is in en under 2022-10")
		assert.Contains(t, v.Bundle.Policies, "2022-10/en.md")
	})
	t.Run("OKCarriesOnlyWhatTheChainNames", func(t *testing.T) {
		v, err := proof.Verify(data, nil)
		require.NoError(t, err)
		want := map[string]bool{}
		for _, it := range v.Report.Items {
			for _, ref := range it.Texts.NoticeRefs(&it.Signed.Receipt) {
				want[ref] = true
			}
		}
		assert.Len(t, v.Bundle.Notices, len(want))
	})
	t.Run("OKDeterministic", func(t *testing.T) {
		again, err := proof.Build(history, keys.JWKS(), proof.Embedded(), keys, at)
		require.NoError(t, err)
		assert.Equal(t, data, again)
	})
	t.Run("OKWithPublishedKeys", func(t *testing.T) {
		v, err := proof.Verify(data, keys.JWKS())
		require.NoError(t, err)
		assert.True(t, v.Pinned)
	})
	t.Run("OKWithKeyIDsOnRecord", func(t *testing.T) {
		v, err := proof.VerifyTrusting(data, proof.Trust{KeyIDs: []string{"another", keys.KeyID()}})
		require.NoError(t, err)
		assert.True(t, v.Pinned)
	})
	t.Run("UnpinnedSaysSo", func(t *testing.T) {
		v, err := proof.Verify(data, nil)
		require.NoError(t, err)
		assert.False(t, v.Pinned, "checked against its own keys only")
	})
	t.Run("ErrKeyNotOnRecord", func(t *testing.T) {
		_, err := proof.VerifyTrusting(data, proof.Trust{KeyIDs: []string{"another"}})
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "jwks: the bundle's key "+keys.KeyID()+" is not among the key ids given")
	})
	fails := func(t *testing.T, b []byte, keys []byte, want string) {
		t.Helper()
		_, err := proof.Verify(b, keys)
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), want)
	}
	t.Run("ErrReencoded", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, json.Indent(&buf, data, "", "  "))
		fails(t, buf.Bytes(), nil, "bundle: not in the canonical form")
	})
	t.Run("ErrKeysNotPublished", func(t *testing.T) {
		fails(t, data, read(t, "other-jwks.json"), "jwks: the bundle's key "+keys.KeyID()+" is not among the keys given")
	})
	t.Run("ErrResealedByAnotherKey", func(t *testing.T) {
		// Someone who swaps in their own key and reseals the bundle
		// cannot countersign the receipts again: the chain fails.
		other, err := receipt.NewKeyring(ed25519.NewKeyFromSeed([]byte("kaiconn-test-other-server-key-32")))
		require.NoError(t, err)
		forged, err := proof.Build(history, other.JWKS(), proof.Embedded(), other, at)
		require.NoError(t, err)
		fails(t, forged, nil, "countersignature: key")
		fails(t, forged, keys.JWKS(), "is not among the keys given")
	})
	t.Run("ErrEditedAndResealedWithoutTheKey", func(t *testing.T) {
		// A receipt left out, everything else as canonical as before: only
		// the seal tells.
		var b proof.Bundle
		require.NoError(t, json.Unmarshal(data, &b))
		b.Receipts = b.Receipts[:2]
		edited := reencode(t, b)
		fails(t, edited, nil, "seal: signs other bytes than this bundle")
	})
	t.Run("ErrUnknownMember", func(t *testing.T) {
		edited := bytes.Replace(data, []byte(`{"createdAt"`), []byte(`{"comment":"x","createdAt"`), 1)
		fails(t, edited, nil, "bundle: not a proof bundle")
	})
	t.Run("ErrTextAltered", func(t *testing.T) {
		// The policy text is the longest member: flip a byte in its middle.
		i := bytes.Index(data, []byte(`"policies":{"2022-10/en.md":"`)) + 2000
		edited := bytes.Clone(data)
		edited[i] ^= 0x01
		fails(t, edited, nil, "")
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		_, err := proof.Build(receipt.History{Subject: history.Subject}, keys.JWKS(), proof.Embedded(), keys, at)
		assert.Equal(t, errs.NotFound, errs.Code(err))
	})
}

// reencode writes b canonically, as Build does, keeping its seal.
func reencode(t *testing.T, b proof.Bundle) []byte {
	t.Helper()
	raw, err := json.Marshal(b)
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m))
	out, err := json.Marshal(m)
	require.NoError(t, err)
	canon, err := jcsTransform(out)
	require.NoError(t, err)
	require.False(t, strings.Contains(string(canon), "\n"))
	return canon
}
