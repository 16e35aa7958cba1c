package receipt_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/receipt/receipttest"
)

// countersign does what the server does on acknowledging s.
func countersign(t testing.TB, k *receipt.Keyring, s *receipt.Signed, receivedAt time.Time) receipt.Countersigned {
	t.Helper()
	body := canonical(t, s)
	jws, kid, err := k.Countersign(body)
	require.NoError(t, err)
	return receipt.Countersigned{
		ID: s.Receipt.ID, Hash: receipt.HashBytes(body), Envelope: body,
		Countersignature: jws, KeyID: kid, ReceivedAt: receivedAt,
	}
}

// countersignFull does what the server did before countersignatures were
// detached: the same JWS with the envelope as its payload segment. The
// fixtures under testdata/receipt are records of that time.
func countersignFull(t testing.TB, k *receipt.Keyring, s *receipt.Signed, receivedAt time.Time) receipt.Countersigned {
	t.Helper()
	c := countersign(t, k, s, receivedAt)
	c.Countersignature = attach(t, c.Countersignature, c.Envelope)
	return c
}

// attach reattaches payload to a detached compact JWS.
func attach(t testing.TB, jws string, payload []byte) string {
	t.Helper()
	protected, sig, ok := strings.Cut(jws, "..")
	require.True(t, ok, "not a detached JWS: %s", jws)
	return protected + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + sig
}

// fixtures builds the verifier fixtures from fixed keys: a chain of three
// receipts of one subject, the first server-attested (taken on the
// first-launch form before the app held a key) and countersigned before a
// key rotation, the others device-signed and countersigned after, and
// altered copies that must fail.
func fixtures(t *testing.T) map[string]any {
	t.Helper()
	key1 := ed25519.NewKeyFromSeed(serverSeeds[0])
	key2 := ed25519.NewKeyFromSeed(serverSeeds[1])
	before, err := receipt.NewKeyring(key1)
	require.NoError(t, err)
	after, err := receipt.NewKeyring(key1, key2)
	require.NoError(t, err)
	device := &receipt.Ed25519Signer{Key: deviceKey}

	ids := []string{"7c9e6679-7425-40de-944b-e07fc1f90ae7", "1b4e28ba-2fa1-41d2-883f-0016d3cca427", "6fa459ea-ee8a-4ca4-894e-db77e160355e"}
	h := receipt.History{Subject: subject}
	prev := ""
	for i, id := range ids {
		at := t0.Add(time.Duration(i) * 24 * time.Hour)
		s := newSigned(t, device, id, prev, at)
		if i == 0 {
			attested, err := receipt.Attest(&s.Receipt)
			require.NoError(t, err)
			s = attested
		}
		if i > 0 {
			s.Receipt.Surface = receipt.SurfaceSettings
			s.Receipt.Decision = receipt.DecisionUpdated
			require.NoError(t, resign(s, device))
		}
		k := after
		if i == 0 {
			k = before
		}
		h.Receipts = append(h.Receipts, countersignFull(t, k, s, at.Add(3*time.Second)))
		prev = h.Receipts[i].Hash
	}

	altered := h.Receipts[1]
	altered.Envelope = json.RawMessage(strings.Replace(string(altered.Envelope), `"state":"given"`, `"state":"withdrawn"`, 1))
	swapped := h.Receipts[1]
	swapped.Countersignature = h.Receipts[2].Countersignature
	broken := receipt.History{Subject: subject, Receipts: []receipt.Countersigned{h.Receipts[0], h.Receipts[2]}}
	alteredAttested := h.Receipts[0]
	alteredAttested.Envelope = json.RawMessage(strings.Replace(string(alteredAttested.Envelope), `"decision":"agreed"`, `"decision":"declined"`, 1))
	// A device-signed receipt passed off as server-attested, keeping its
	// genuine countersignature: the countersignature covers the
	// attestation, so it must fail.
	var relabelled receipt.Signed
	require.NoError(t, json.Unmarshal(h.Receipts[1].Envelope, &relabelled))
	relabelled.Attestation, relabelled.Device = receipt.AttestationServer, receipt.Device{}
	forged := h.Receipts[1]
	forged.Envelope = canonical(t, &relabelled)
	forged.Hash = ""

	return map[string]any{
		"jwks.json":                     json.RawMessage(after.JWKS()),
		"receipt.json":                  h.Receipts[1],
		"history.json":                  h,
		"altered-receipt.json":          altered,
		"swapped-countersignature.json": swapped,
		"broken-chain.json":             broken,
		"attested-receipt.json":         h.Receipts[0],
		"altered-attested-receipt.json": alteredAttested,
		"relabelled-attestation.json":   forged,
	}
}

func resign(s *receipt.Signed, signer receipt.Signer) error {
	again, err := receipt.Sign(&s.Receipt, signer)
	if err != nil {
		return err
	}
	*s = *again
	return nil
}

// TestFixtures keeps testdata/receipt in step with the code; the verifier
// command and the node check read these files.
func TestFixtures(t *testing.T) {
	for name, v := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			require.NoError(t, enc.Encode(v))
			golden(t, name, buf.Bytes())
		})
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "receipt", name))
	require.NoError(t, err)
	return b
}

func TestVerifyCountersigned(t *testing.T) {
	jwks := readFixture(t, "jwks.json")
	load := func(t *testing.T, name string) receipt.Countersigned {
		var c receipt.Countersigned
		require.NoError(t, json.Unmarshal(readFixture(t, name), &c))
		return c
	}
	for _, tt := range []struct {
		name, file string
		jwks       func() []byte
		want       string
	}{
		{name: "OK", file: "receipt.json"},
		{name: "OKServerAttested", file: "attested-receipt.json"},
		{name: "ErrAlteredServerAttested", file: "altered-attested-receipt.json", want: "countersignature: signs other bytes"},
		{name: "ErrRelabelledAttestation", file: "relabelled-attestation.json", want: "countersignature: signs other bytes"},
		{name: "ErrAlteredReceipt", file: "altered-receipt.json", want: "device.sig: signature does not verify"},
		{name: "ErrSwappedCountersignature", file: "swapped-countersignature.json", want: "countersignature: signs other bytes"},
		{name: "ErrUnknownKey", file: "receipt.json", want: "is not in the JWKS",
			jwks: func() []byte { k, _ := receipt.NewKeyring(); return k.JWKS() }},
		{name: "ErrNotJWKS", file: "receipt.json", want: "jwks: not a JSON Web Key Set",
			jwks: func() []byte { return []byte("[") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t, tt.file)
			set := jwks
			if tt.jwks != nil {
				set = tt.jwks()
			}
			err := receipt.VerifyCountersigned(c.Envelope, []byte(c.Countersignature), set)
			if tt.want == "" {
				require.NoError(t, err)
				_, err = c.Verify(set)
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, errs.Message(err), tt.want)
		})
	}
	t.Run("ErrForgedCountersignature", func(t *testing.T) {
		c := load(t, "receipt.json")
		parts := strings.Split(c.Countersignature, ".")
		parts[2] = strings.Repeat("A", len(parts[2])-1) + "Q"
		err := receipt.VerifyCountersigned(c.Envelope, []byte(strings.Join(parts, ".")), jwks)
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "does not verify with key")
	})
	t.Run("ErrClaimedHash", func(t *testing.T) {
		c := load(t, "receipt.json")
		c.Hash = strings.Repeat("0", 64)
		_, err := c.Verify(jwks)
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "hash: is not the hash of the envelope")
	})
}

func TestVerifyChain(t *testing.T) {
	jwks := readFixture(t, "jwks.json")
	var h receipt.History
	require.NoError(t, json.Unmarshal(readFixture(t, "history.json"), &h))
	require.Len(t, h.Receipts, 3)

	t.Run("OK", func(t *testing.T) {
		require.NoError(t, receipt.VerifyChain(h, jwks))
	})
	t.Run("ErrBrokenChainFixture", func(t *testing.T) {
		var broken receipt.History
		require.NoError(t, json.Unmarshal(readFixture(t, "broken-chain.json"), &broken))
		err := receipt.VerifyChain(broken, jwks)
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "receipts[1]: chain broken")
	})
	t.Run("ErrReordered", func(t *testing.T) {
		r := receipt.History{Subject: h.Subject, Receipts: []receipt.Countersigned{h.Receipts[1], h.Receipts[0], h.Receipts[2]}}
		err := receipt.VerifyChain(r, jwks)
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "receipts[0]: chain broken: the first receipt must have an empty prevHash")
	})
	t.Run("ErrOtherSubject", func(t *testing.T) {
		r := h
		r.Subject = "sub_bbbbbbbbbbbbbbbbbbbbbbbbbb"
		err := receipt.VerifyChain(r, jwks)
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "receipts[0]: belongs to another subject")
	})
	t.Run("ErrAlteredLink", func(t *testing.T) {
		r := receipt.History{Subject: h.Subject, Receipts: append([]receipt.Countersigned{}, h.Receipts...)}
		var altered receipt.Countersigned
		require.NoError(t, json.Unmarshal(readFixture(t, "altered-receipt.json"), &altered))
		r.Receipts[1] = altered
		err := receipt.VerifyChain(r, jwks)
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "receipts[1]: device.sig")
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		assert.Equal(t, errs.Invalid, errs.Code(receipt.VerifyChain(receipt.History{}, jwks)))
	})
}

// TestVerifyDetached covers the countersignatures the server writes now:
// detached (RFC 7515 Appendix F), over either schema and either attestation,
// and checks that the full form of the same signature still verifies, as
// stored records carry it.
func TestVerifyDetached(t *testing.T) {
	k, err := receipt.NewKeyring(ed25519.NewKeyFromSeed(serverSeeds[0]))
	require.NoError(t, err)
	jwks := k.JWKS()
	device := receipt.GenerateES256Signer()
	build := func(t *testing.T, p receipt.Params, attested bool) *receipt.Signed {
		t.Helper()
		if attested {
			s, err := receipt.Attest(receipt.New(p))
			require.NoError(t, err)
			return s
		}
		s, err := receipt.Sign(receipt.New(p), device)
		require.NoError(t, err)
		return s
	}
	for _, tt := range []struct {
		name     string
		params   func(subject, prev string, at time.Time) receipt.Params
		attested bool
	}{
		{"V1Device", receipttest.Params, false},
		{"V1Server", receipttest.Params, true},
		{"V2Device", receipttest.ParamsV2, false},
		{"V2Server", receipttest.ParamsV2, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := build(t, tt.params(subject, "", t0), tt.attested)
			c := countersign(t, k, s, t0)
			require.True(t, receipt.IsDetached(c.Countersignature), c.Countersignature)
			assert.Equal(t, 2, strings.Count(c.Countersignature, "."))

			t.Run("OK", func(t *testing.T) {
				got, err := c.Verify(jwks)
				require.NoError(t, err)
				assert.Equal(t, s.Receipt.ID, got.Receipt.ID)
			})
			t.Run("OKFullForm", func(t *testing.T) {
				full := c
				full.Countersignature = attach(t, c.Countersignature, c.Envelope)
				require.False(t, receipt.IsDetached(full.Countersignature))
				_, err := full.Verify(jwks)
				require.NoError(t, err)
			})
			t.Run("OKGoJOSE", func(t *testing.T) {
				// An independent JOSE implementation reattaches the payload
				// the same way.
				obj, err := jose.ParseDetached(c.Countersignature, c.Envelope, []jose.SignatureAlgorithm{jose.EdDSA})
				require.NoError(t, err)
				var set jose.JSONWebKeySet
				require.NoError(t, json.Unmarshal(jwks, &set))
				payload, err := obj.Verify(set.Key(c.KeyID)[0].Public())
				require.NoError(t, err)
				assert.Equal(t, []byte(c.Envelope), payload)
			})
			t.Run("ErrAlteredEnvelope", func(t *testing.T) {
				altered := c
				if tt.attested {
					altered.Envelope = json.RawMessage(strings.Replace(string(c.Envelope), `"decision":"agreed"`, `"decision":"declined"`, 1))
				} else {
					// Relabelled as server-attested: only the countersignature
					// can tell.
					var env receipt.Signed
					require.NoError(t, json.Unmarshal(c.Envelope, &env))
					env.Attestation, env.Device = receipt.AttestationServer, receipt.Device{}
					altered.Envelope = canonical(t, &env)
				}
				altered.Hash = ""
				_, err := altered.Verify(jwks)
				require.Error(t, err)
				assert.Equal(t, errs.Unprocessable, errs.Code(err))
				assert.Contains(t, errs.Message(err), "countersignature: signs other bytes than this envelope, or is forged")
			})
			t.Run("ErrSwapped", func(t *testing.T) {
				other := countersign(t, k, build(t, tt.params(subject, "", t0.Add(time.Hour)), tt.attested), t0)
				swapped := c
				swapped.Countersignature = other.Countersignature
				_, err := swapped.Verify(jwks)
				assert.Contains(t, errs.Message(err), "countersignature: signs other bytes than this envelope")
			})
			t.Run("ErrClaimedKid", func(t *testing.T) {
				wrong := c
				wrong.KeyID = "not-the-kid"
				_, err := wrong.Verify(jwks)
				assert.Contains(t, errs.Message(err), "kid: is not the countersignature's key id")
			})
		})
	}
	t.Run("ErrMalformed", func(t *testing.T) {
		s := build(t, receipttest.ParamsV2(subject, "", t0), false)
		body := canonical(t, s)
		for _, jws := range []string{"", "..", "a..b..c", "e30..", "not a jws"} {
			err := receipt.VerifyCountersigned(body, []byte(jws), jwks)
			require.Error(t, err, jws)
			assert.Equal(t, errs.Invalid, errs.Code(err), jws)
		}
	})
}

func TestIsDetached(t *testing.T) {
	for _, tt := range []struct {
		jws  string
		want bool
	}{
		{"aGVhZA..c2ln", true},
		{"aGVhZA.cGF5bG9hZA.c2ln", false},
		{"..c2ln", false},
		{"aGVhZA..c2ln.x", false},
		{"aGVhZA.c2ln", false},
		{"", false},
	} {
		assert.Equal(t, tt.want, receipt.IsDetached(tt.jws), tt.jws)
	}
}
