package receipt_test

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/receipt/receipttest"
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

	t.Run("LoadNeverCreates", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "keys")
		_, err := receipt.LoadKeyring(dir)
		require.ErrorIs(t, err, receipt.ErrNoKeys, "missing")
		_, err = os.Stat(dir)
		assert.True(t, os.IsNotExist(err), "nothing was created")
		require.NoError(t, os.Mkdir(dir, 0o700))
		_, err = receipt.LoadKeyring(dir)
		require.ErrorIs(t, err, receipt.ErrNoKeys, "empty")
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		assert.Empty(t, files, "no key was minted")

		made, err := receipt.OpenKeyring(dir)
		require.NoError(t, err)
		loaded, err := receipt.LoadKeyring(dir)
		require.NoError(t, err)
		assert.Equal(t, made.KeyID(), loaded.KeyID())
		assert.True(t, loaded.Has(made.KeyID()))
		assert.False(t, loaded.Has("someone-elses-kid"))
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

// TestCountersignIsJOSE shows that the countersignature, written without a
// JOSE library, is the very JWS go-jose writes for the same key and payload,
// with the payload segment left out.
func TestCountersignIsJOSE(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(serverSeeds[0])
	k, err := receipt.NewKeyring(priv)
	require.NoError(t, err)
	body := canonical(t, newSigned(t, receipt.GenerateEd25519Signer(), "", "", t0))
	got, kid, err := k.Countersign(body)
	require.NoError(t, err)

	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: priv, KeyID: kid}}, nil)
	require.NoError(t, err)
	obj, err := signer.Sign(body)
	require.NoError(t, err)
	want, err := obj.DetachedCompactSerialize()
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// BenchmarkCountersign measures the server key's work per receipt alone:
// the signing input and one Ed25519 signature.
func BenchmarkCountersign(b *testing.B) {
	for _, tt := range []struct {
		name   string
		params func(subject, prev string, at time.Time) receipt.Params
	}{{"v1", receipttest.Params}, {"v2", receipttest.ParamsV2}} {
		b.Run(tt.name, func(b *testing.B) {
			s, err := receipt.Sign(receipt.New(tt.params(subject, "", t0)), receipt.GenerateEd25519Signer())
			if err != nil {
				b.Fatal(err)
			}
			body := canonical(b, s)
			k, err := receipt.NewKeyring()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, _, err := k.Countersign(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeVerify measures what the server does with a posted
// envelope before countersigning it: strict decoding (which yields the
// canonical bytes), the device signature and the hash, for each schema.
func BenchmarkDecodeVerify(b *testing.B) {
	for _, tt := range []struct {
		name   string
		params func(subject, prev string, at time.Time) receipt.Params
	}{{"v1", receipttest.Params}, {"v2", receipttest.ParamsV2}} {
		b.Run(tt.name, func(b *testing.B) {
			s, err := receipt.Sign(receipt.New(tt.params(subject, "", t0)), receipt.GenerateEd25519Signer())
			if err != nil {
				b.Fatal(err)
			}
			body := canonical(b, s)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				got, canon, err := receipt.DecodeCanonical(body)
				if err != nil {
					b.Fatal(err)
				}
				if err := got.VerifyDevice(); err != nil {
					b.Fatal(err)
				}
				_ = receipt.HashBytes(canon)
			}
		})
	}
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
