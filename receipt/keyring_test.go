//go:build !wasm

package receipt_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
)

type jwksDoc struct {
	Keys []struct {
		Kty, Crv, X, D string
		Kid            string `json:"kid"`
		Alg            string `json:"alg"`
		Use            string `json:"use"`
	} `json:"keys"`
}

func TestKeyring(t *testing.T) {
	s := newSigned(t, receipt.GenerateEd25519Signer(), "", "", t0)
	body := canonical(t, s)

	t.Run("OKCreatesFirstKey", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "keys")
		k, err := receipt.OpenKeyring(dir)
		require.NoError(t, err)
		files, err := filepath.Glob(filepath.Join(dir, "*.jwk.json"))
		require.NoError(t, err)
		require.Len(t, files, 1)
		info, err := os.Stat(files[0])
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "private keys are readable by the owner only")

		again, err := receipt.OpenKeyring(dir)
		require.NoError(t, err)
		assert.Equal(t, k.KeyID(), again.KeyID(), "reopening loads the same key")
	})

	t.Run("OKOldReceiptsVerifyAfterRotation", func(t *testing.T) {
		dir := t.TempDir()
		k, err := receipt.OpenKeyring(dir)
		require.NoError(t, err)
		oldJWS, oldKid, err := k.Countersign(body)
		require.NoError(t, err)

		newKid, err := k.Rotate()
		require.NoError(t, err)
		assert.NotEqual(t, oldKid, newKid)
		assert.Equal(t, newKid, k.KeyID())
		_, kid, err := k.Countersign(body)
		require.NoError(t, err)
		assert.Equal(t, newKid, kid, "the newest key signs")

		// A restarted server still verifies what the old key signed.
		reopened, err := receipt.OpenKeyring(dir)
		require.NoError(t, err)
		assert.Equal(t, newKid, reopened.KeyID())
		require.NoError(t, receipt.VerifyCountersigned(body, []byte(oldJWS), reopened.JWKS()))
	})

	t.Run("OKJWKS", func(t *testing.T) {
		k, err := receipt.NewKeyring()
		require.NoError(t, err)
		first := k.KeyID()
		second, err := k.Rotate()
		require.NoError(t, err)
		var doc jwksDoc
		require.NoError(t, json.Unmarshal(k.JWKS(), &doc))
		require.Len(t, doc.Keys, 2)
		assert.Equal(t, second, doc.Keys[0].Kid, "newest first")
		assert.Equal(t, first, doc.Keys[1].Kid)
		for _, key := range doc.Keys {
			assert.Equal(t, "OKP", key.Kty)
			assert.Equal(t, "Ed25519", key.Crv)
			assert.Equal(t, "EdDSA", key.Alg)
			assert.Equal(t, "sig", key.Use)
			assert.Empty(t, key.D, "the JWKS must never carry a private key")
		}
	})

	t.Run("ErrCorruptKeyFile", func(t *testing.T) {
		dir := t.TempDir()
		_, err := receipt.OpenKeyring(dir)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "broken.jwk.json"), []byte("{"), 0o600))
		_, err = receipt.OpenKeyring(dir)
		require.Error(t, err, "a key that cannot be read must stop the server, not be skipped")
	})

	t.Run("ErrKidNotThumbprint", func(t *testing.T) {
		dir := t.TempDir()
		_, err := receipt.OpenKeyring(dir)
		require.NoError(t, err)
		files, _ := filepath.Glob(filepath.Join(dir, "*.jwk.json"))
		b, err := os.ReadFile(files[0])
		require.NoError(t, err)
		var f struct {
			Created string         `json:"created"`
			JWK     map[string]any `json:"jwk"`
		}
		require.NoError(t, json.Unmarshal(b, &f))
		f.JWK["kid"] = "not-the-thumbprint"
		b, err = json.Marshal(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(files[0], b, 0o600))
		_, err = receipt.OpenKeyring(dir)
		require.ErrorContains(t, err, "kid is not the key's thumbprint")
	})
}

// BenchmarkVerifyAndCountersign measures the server's cryptographic work per
// receipt: decode, verify the device signature, hash and countersign.
func BenchmarkVerifyAndCountersign(b *testing.B) {
	s := newSigned(b, receipt.GenerateEd25519Signer(), "", "", t0)
	body := canonical(b, s)
	k, err := receipt.NewKeyring()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := receipt.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := got.VerifyDevice(); err != nil {
			b.Fatal(err)
		}
		canon, err := got.Canonical()
		if err != nil {
			b.Fatal(err)
		}
		_ = receipt.HashBytes(canon)
		if _, _, err := k.Countersign(canon); err != nil {
			b.Fatal(err)
		}
	}
}
