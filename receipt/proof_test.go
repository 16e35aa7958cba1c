//go:build !wasm

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

func TestHistoryProof(t *testing.T) {
	signer := receipt.GenerateES256Signer()
	cred, err := receipt.SignHistoryProof(subject, t0, signer)
	require.NoError(t, err)

	t.Run("OK", func(t *testing.T) {
		p, err := receipt.ParseHistoryProof(cred, t0.Add(4*time.Minute), 5*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, subject, p.Subject)
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
	t.Run("ErrSubjectSwapped", func(t *testing.T) {
		raw, err := base64.RawURLEncoding.DecodeString(cred)
		require.NoError(t, err)
		var p receipt.HistoryProof
		require.NoError(t, json.Unmarshal(raw, &p))
		p.Subject = receipt.NewSubject()
		raw, err = json.Marshal(p)
		require.NoError(t, err)
		_, err = receipt.ParseHistoryProof(base64.RawURLEncoding.EncodeToString(raw), t0, 5*time.Minute)
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "proof signature does not verify")
	})
	t.Run("ErrGarbage", func(t *testing.T) {
		_, err := receipt.ParseHistoryProof("not base64!", t0, 5*time.Minute)
		assert.Equal(t, errs.Unauthorized, errs.Code(err))
	})
}
