package receipt_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

const nonce = "n1.AAAAAAAAAAAAAAAAAAAAAA.1764390000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// reencode changes a signed proof's JSON without signing it again.
func reencode(t *testing.T, cred string, edit func(p map[string]any)) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(cred)
	require.NoError(t, err)
	var p map[string]any
	require.NoError(t, json.Unmarshal(raw, &p))
	edit(p)
	raw, err = json.Marshal(p)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func TestHistoryProof(t *testing.T) {
	signer := receipt.GenerateES256Signer()
	cred, err := receipt.SignHistoryProof(subject, t0, nonce, signer)
	require.NoError(t, err)

	t.Run("OK", func(t *testing.T) {
		p, err := receipt.ParseHistoryProof(cred, t0.Add(4*time.Minute), 5*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, subject, p.Subject)
		assert.Equal(t, nonce, p.Nonce)
		want, err := signer.PublicJWK().Thumbprint()
		require.NoError(t, err)
		got, err := p.JWK.Thumbprint()
		require.NoError(t, err)
		assert.Equal(t, want, got)
	})
	t.Run("ErrStale", func(t *testing.T) {
		_, err := receipt.ParseHistoryProof(cred, t0.Add(6*time.Minute), 5*time.Minute)
		require.Error(t, err)
		assert.Equal(t, errs.Unauthorized, errs.Code(err))
		assert.Contains(t, errs.Message(err), "not within 5m0s")
	})
	for _, tt := range []struct {
		name string
		edit func(p map[string]any)
		err  string
	}{
		{"ErrSubjectSwapped", func(p map[string]any) { p["subject"] = receipt.NewSubject() }, "proof signature does not verify"},
		{"ErrNonceSwapped", func(p map[string]any) { p["nonce"] = nonce + "x" }, "proof signature does not verify"},
		{"ErrNoNonce", func(p map[string]any) { delete(p, "nonce") }, "the proof has no nonce: proofs now sign kaiconn-history:<subject>:<ts>:<nonce>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := receipt.ParseHistoryProof(reencode(t, cred, tt.edit), t0, 5*time.Minute)
			require.Error(t, err)
			assert.Equal(t, errs.Unauthorized, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.err)
		})
	}
	t.Run("ErrGarbage", func(t *testing.T) {
		_, err := receipt.ParseHistoryProof("not base64!", t0, 5*time.Minute)
		assert.Equal(t, errs.Unauthorized, errs.Code(err))
	})
}

func TestKeyStatement(t *testing.T) {
	enrolled, next := receipt.GenerateEd25519Signer(), receipt.GenerateES256Signer()
	st, err := receipt.SignKeyStatement(subject, nonce, next, enrolled)
	require.NoError(t, err)
	t.Run("OK", func(t *testing.T) {
		newThumb, byThumb, err := st.Verify()
		require.NoError(t, err)
		want, _ := next.PublicJWK().Thumbprint()
		assert.Equal(t, want, newThumb)
		want, _ = enrolled.PublicJWK().Thumbprint()
		assert.Equal(t, want, byThumb)
	})
	other := receipt.GenerateEd25519Signer()
	for _, tt := range []struct {
		name string
		edit func(st *receipt.KeyStatement)
		code string
		err  string
	}{
		{"ErrOtherSubject", func(st *receipt.KeyStatement) { st.Subject = receipt.NewSubject() }, errs.Unprocessable, "new.sig: does not verify"},
		{"ErrOtherNonce", func(st *receipt.KeyStatement) { st.Nonce += "x" }, errs.Unprocessable, "new.sig"},
		{"ErrNoNonce", func(st *receipt.KeyStatement) { st.Nonce = "" }, errs.Invalid, "nonce: required"},
		{"ErrNewKeySwapped", func(st *receipt.KeyStatement) { st.New.JWK = other.PublicJWK(); st.New.Alg = other.Alg() }, errs.Unprocessable, "new.sig"},
		{"ErrVoucherSwapped", func(st *receipt.KeyStatement) { st.By.JWK = other.PublicJWK() }, errs.Unauthorized, "by.sig: does not verify"},
		{"ErrSameKey", func(st *receipt.KeyStatement) { st.By = st.New }, errs.Unprocessable, "the same key"},
		{"ErrSubjectIsPhone", func(st *receipt.KeyStatement) { st.Subject = "13800138000" }, errs.Invalid, "never a phone number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bad := st
			tt.edit(&bad)
			_, _, err := bad.Verify()
			require.Error(t, err)
			assert.Equal(t, tt.code, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.err)
		})
	}
}
