package jose

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/receipt/receipttest"
)

// node returns the node binary, skipping the test on a developer machine
// without node; in CI a missing node is a failure, not a skip. Under -short
// it skips in any case: the short run must need no node, and npm ci alone
// can take longer than the whole run.
func node(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("node and npm are not run under -short")
	}
	path, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is required in CI for the independent JOSE check")
		}
		t.Skip("node is not installed: skipping the independent JOSE check (it runs in CI)")
	}
	if _, err := os.Stat("node_modules/jose"); err != nil {
		npm, err := exec.LookPath("npm")
		require.NoError(t, err, "npm is needed to install the jose package")
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "npm ci: %s", out)
	}
	return path
}

type countersigned struct {
	ID               string          `json:"id"`
	Hash             string          `json:"hash"`
	Envelope         json.RawMessage `json:"envelope"`
	Countersignature string          `json:"countersignature"`
	KeyID            string          `json:"kid"`
}

// issue does what the server does: canonical bytes, hash, countersignature.
func issue(t *testing.T, k *receipt.Keyring, s *receipt.Signed) countersigned {
	t.Helper()
	body, err := s.Canonical()
	require.NoError(t, err)
	jws, kid, err := k.Countersign(body)
	require.NoError(t, err)
	return countersigned{ID: s.Receipt.ID, Hash: receipt.HashBytes(body), Envelope: body, Countersignature: jws, KeyID: kid}
}

// countersignRaw countersigns c.Envelope as it stands, bypassing the Go
// decoder, so that the node check is tested on envelopes Go would refuse.
func countersignRaw(t *testing.T, k *receipt.Keyring, c countersigned) countersigned {
	t.Helper()
	body, err := jcs.Transform(c.Envelope)
	require.NoError(t, err)
	jws, kid, err := k.Countersign(body)
	require.NoError(t, err)
	c.Envelope, c.Hash, c.Countersignature, c.KeyID = body, receipt.HashBytes(body), jws, kid
	return c
}

func TestNodeJose(t *testing.T) {
	bin := node(t)
	dir := t.TempDir()
	now := time.Now().UTC()

	keys, err := receipt.NewKeyring()
	require.NoError(t, err)
	sign := func(signer receipt.Signer) *receipt.Signed {
		s, err := receipt.Sign(receipt.New(receipttest.Params(receipt.NewSubject(), "", now)), signer)
		require.NoError(t, err)
		return s
	}
	// Countersigned before a rotation, so the JWKS must hold both keys.
	beforeRotation := issue(t, keys, sign(receipt.GenerateEd25519Signer()))
	_, err = keys.Rotate()
	require.NoError(t, err)

	ed := issue(t, keys, sign(receipt.GenerateEd25519Signer()))
	es := issue(t, keys, sign(receipt.GenerateES256Signer()))

	altered := ed
	altered.Envelope = json.RawMessage(strings.Replace(string(ed.Envelope), `"decision":"agreed"`, `"decision":"declined"`, 1))
	require.NotEqual(t, string(ed.Envelope), string(altered.Envelope))

	alteredFull := altered
	alteredFull.Countersignature = protectedOf(ed) + "." + base64.RawURLEncoding.EncodeToString(ed.Envelope) + "." + signatureOf(ed)

	// A countersignature that is genuine over an envelope whose device
	// signature is not: only the device check can catch it.
	forged := sign(receipt.GenerateES256Signer())
	forged.Receipt.Decision = receipt.DecisionDeclined
	badDevice := issue(t, keys, forged)

	// Recorded by the server from a form post: no device key, only the
	// countersignature vouches for it.
	attestedEnvelope, err := receipt.Attest(receipt.New(receipttest.Params(receipt.NewSubject(), "", now)))
	require.NoError(t, err)
	attested := issue(t, keys, attestedEnvelope)

	// A server-attested envelope that smuggles a device member past the
	// Go decoder's rules: the node check must refuse it on its own.
	smuggled := attested
	smuggled.Envelope = json.RawMessage(strings.Replace(string(ed.Envelope), `"attestation":"device"`, `"attestation":"server"`, 1))
	smuggled = countersignRaw(t, keys, smuggled)

	// A record stored before countersignatures were detached: the same
	// signature with the envelope as its payload segment.
	full := ed
	full.Countersignature = protectedOf(ed) + "." + base64.RawURLEncoding.EncodeToString(ed.Envelope) + "." + signatureOf(ed)

	// A v2 receipt.
	v2Signed, err := receipt.Sign(receipt.New(receipttest.ParamsV2(receipt.NewSubject(), "", now)), receipt.GenerateES256Signer())
	require.NoError(t, err)
	v2 := issue(t, keys, v2Signed)

	// A v3 receipt: required processing necessary, not given.
	v3Signed, err := receipt.Sign(receipt.New(receipttest.ParamsV3(receipt.NewSubject(), "", now)), receipt.GenerateEd25519Signer())
	require.NoError(t, err)
	v3 := issue(t, keys, v3Signed)
	require.Contains(t, string(v3.Envelope), `"state":"necessary"`)

	jwks := filepath.Join(dir, "jwks.json")
	require.NoError(t, os.WriteFile(jwks, keys.JWKS(), 0o644))

	for _, tt := range []struct {
		name string
		doc  countersigned
		want string
	}{
		{"OKEd25519Device", ed, "OK kid=" + ed.KeyID},
		{"OKES256Device", es, "OK kid=" + es.KeyID},
		{"OKBeforeRotation", beforeRotation, "OK kid=" + beforeRotation.KeyID},
		{"OKServerAttested", attested, "OK kid=" + attested.KeyID},
		{"ErrServerAttestedWithDevice", smuggled, "FAILED: a server-attested envelope must not carry a device member"},
		{"OKFullForm", full, "OK kid=" + full.KeyID},
		{"OKV2", v2, "OK kid=" + v2.KeyID},
		{"OKV3", v3, "OK kid=" + v3.KeyID},
		{"ErrAlteredReceipt", altered, "FAILED: detached countersignature does not verify over the canonical envelope"},
		{"ErrAlteredFullForm", alteredFull, "FAILED: countersignature payload is not the canonical envelope"},
		{"ErrDeviceSignature", badDevice, "FAILED: device signature does not verify"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.doc)
			require.NoError(t, err)
			path := filepath.Join(dir, tt.name+".json")
			require.NoError(t, os.WriteFile(path, b, 0o644))
			out, err := exec.Command(bin, "verify.mjs", jwks, path).CombinedOutput()
			assert.Contains(t, string(out), tt.want)
			if strings.HasPrefix(tt.want, "OK") {
				require.NoError(t, err, "%s", out)
				assert.Contains(t, string(out), "hash="+tt.doc.Hash)
				var env struct{ Attestation string }
				require.NoError(t, json.Unmarshal(tt.doc.Envelope, &env))
				assert.Contains(t, string(out), "attestation="+env.Attestation)
				assert.Contains(t, string(out), "detached="+fmt.Sprint(receipt.IsDetached(tt.doc.Countersignature)))
			} else {
				require.Error(t, err, "node must exit non-zero on %s", tt.name)
			}
		})
	}
}

func protectedOf(c countersigned) string {
	protected, _, _ := strings.Cut(c.Countersignature, "..")
	return protected
}

func signatureOf(c countersigned) string {
	_, sig, _ := strings.Cut(c.Countersignature, "..")
	return sig
}
