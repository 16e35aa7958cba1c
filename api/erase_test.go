package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

const serviceToken = "s3cret-account-service-token"

type auditLine struct{ by, subject, outcome string }

// eraseEnv is an env whose API takes the service token and records its
// audit lines.
func eraseEnv(t *testing.T) (*env, *[]auditLine) {
	e := newEnv(t, func(c *api.Config) { c.ServiceToken = serviceToken })
	var mu sync.Mutex
	lines := &[]auditLine{}
	e.handler = api.New(e.cfg, api.Deps{
		Store: e.store, Keys: e.keys, Validator: validator(), Credentials: e.creds,
		AuditErase: func(_ context.Context, by, subject, outcome string) {
			mu.Lock()
			defer mu.Unlock()
			*lines = append(*lines, auditLine{by, subject, outcome})
		},
	})
	return e, lines
}

func TestEraseSubject(t *testing.T) {
	e, audit := eraseEnv(t)
	// Receipts are posted through an API with the catalogue, as always.
	poster := e.api(e.store)
	post := func(s *receipt.Signed) api.Ack {
		old := e.handler
		e.handler = poster
		defer func() { e.handler = old }()
		return decodeAck(t, e.post(body(t, s)))
	}
	first := post(e.sign("", nil))
	second := post(e.sign(first.Hash, nil))
	path := "/api/v1/subjects/" + e.subject
	bearer := "Bearer " + serviceToken

	other := receipt.GenerateEd25519Signer()
	otherSubject := receipt.NewSubject()
	post(e.signBy(other, otherSubject, "", nil))
	stranger := receipt.NewSubject()

	// Refusals: none erases, and every one without the service token reads
	// the same whether the subject exists or not.
	refusals := []struct {
		name, path string
		auth       func() string
		status     int
	}{
		{"ErrNoCredential", path, func() string { return "" }, http.StatusUnauthorized},
		{"ErrWrongBearer", path, func() string { return "Bearer " + adminToken }, http.StatusUnauthorized},
		{"ErrWrongBearerUnknownSubject", "/api/v1/subjects/" + stranger, func() string { return "Bearer nope" }, http.StatusUnauthorized},
		{"ErrOthersKey", path, func() string { return e.proof(e.subject, other) }, http.StatusForbidden},
		{"ErrProofForOtherSubject", path, func() string { return e.proof(otherSubject, other) }, http.StatusForbidden},
		{"ErrUnknownSubjectWithProof", "/api/v1/subjects/" + stranger, func() string { return e.proof(stranger, e.device) }, http.StatusForbidden},
	}
	bodies := map[int]string{}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if auth := tt.auth(); auth != "" {
				headers = []string{"Authorization", auth}
			}
			rec := e.do(http.MethodDelete, tt.path, nil, headers...)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if b, seen := bodies[rec.Code]; seen {
				assert.Equal(t, b, rec.Body.String(), "every refusal of one status reads the same")
			}
			bodies[rec.Code] = rec.Body.String()
		})
	}
	st, err := e.store.State(context.Background(), e.subject)
	require.NoError(t, err)
	assert.Nil(t, st.Ending, "no refusal erased anything")

	t.Run("ServiceUnknownSubject", func(t *testing.T) {
		rec := e.do(http.MethodDelete, "/api/v1/subjects/"+stranger, nil, "Authorization", bearer)
		require.Equal(t, http.StatusNotFound, rec.Code)
		assert.Equal(t, errs.NotFound, decodeError(t, rec).Error.Code)
	})

	var answer string
	t.Run("Service", func(t *testing.T) {
		rec := e.do(http.MethodDelete, path, nil, "Authorization", bearer)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		answer = rec.Body.String()
		var got api.Erased
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		assert.Equal(t, receipt.EndErased, got.Kind)
		assert.Equal(t, second.Hash, got.HeadHash)
		assert.Equal(t, now, got.EndedAt)
		var rec2 receipt.Erasure
		require.NoError(t, json.Unmarshal(got.Record, &rec2))
		assert.Equal(t, receipt.Erasure{Schema: receipt.ErasureSchema, Subject: e.subject, HeadHash: second.Hash, Receipts: 2,
			ErasedAt: receipt.FormatTime(now), RequestedBy: receipt.ErasedByService}, rec2)
		// The countersignature verifies against the published keys, over
		// the record as sent.
		kid, err := receipt.VerifyCountersignature(got.Record, got.Countersignature, e.keys.JWKS())
		require.NoError(t, err)
		assert.Equal(t, got.KeyID, kid)
	})

	t.Run("Twice", func(t *testing.T) {
		rec := e.do(http.MethodDelete, path, nil, "Authorization", bearer)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, answer, rec.Body.String(), "erasing twice answers the same")
	})

	t.Run("DeviceAfterService", func(t *testing.T) {
		rec := e.do(http.MethodDelete, path, nil, "Authorization", e.proof(e.subject, e.device))
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, answer, rec.Body.String())
	})

	t.Run("NothingAppendsAfter", func(t *testing.T) {
		eraser := e.handler
		e.handler = poster
		defer func() { e.handler = eraser }()
		rec := e.post(body(t, e.sign(second.Hash, nil)))
		assert.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	})

	t.Run("Device", func(t *testing.T) {
		rec := e.do(http.MethodDelete, "/api/v1/subjects/"+otherSubject, nil, "Authorization", e.proof(otherSubject, other))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var got api.Erased
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		assert.Contains(t, string(got.Record), `"requestedBy":"device"`)
	})

	assert.Contains(t, *audit, auditLine{receipt.ErasedByService, e.subject, api.AuditOK})
	assert.Contains(t, *audit, auditLine{receipt.ErasedByService, stranger, api.AuditNotFound})
	assert.Contains(t, *audit, auditLine{receipt.ErasedByDevice, e.subject, api.AuditDenied})
}
