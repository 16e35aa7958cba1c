package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/receipt/receipttest"
	"github.com/kaiconn/consent/store/memstore"
)

var now = time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC)

const adminToken = "s3cret-admin-token"

type env struct {
	t       *testing.T
	handler http.Handler
	store   *memstore.Store
	keys    *receipt.Keyring
	logs    *bytes.Buffer
	device  receipt.Signer
	subject string
}

func newEnv(t *testing.T, edit func(*api.Config)) *env {
	t.Helper()
	keys, err := receipt.NewKeyring()
	require.NoError(t, err)
	cfg := api.Config{
		AdminToken:     adminToken,
		AllowedOrigins: []string{"https://consent.kaiconn.com"},
		RateLimit:      -1,
		Now:            func() time.Time { return now },
	}
	if edit != nil {
		edit(&cfg)
	}
	logs := &bytes.Buffer{}
	e := &env{
		t:       t,
		store:   memstore.New(),
		keys:    keys,
		logs:    logs,
		device:  receipt.GenerateEd25519Signer(),
		subject: receipt.NewSubject(),
	}
	e.handler = api.New(cfg, e.store, keys, receipttest.Validator(now), slog.New(slog.NewTextHandler(logs, nil)))
	return e
}

// sign builds and signs a receipt of the env's subject chained to prev.
func (e *env) sign(prev string, edit func(*receipt.Params)) *receipt.Signed {
	e.t.Helper()
	p := receipttest.Params(e.subject, prev, now.Add(-time.Minute))
	if edit != nil {
		edit(&p)
	}
	s, err := receipt.Sign(receipt.New(p), e.device)
	require.NoError(e.t, err)
	return s
}

func body(t *testing.T, s *receipt.Signed) []byte {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return b
}

func (e *env) do(method, path string, body []byte, header ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

func (e *env) post(b []byte) *httptest.ResponseRecorder {
	return e.do(http.MethodPost, "/api/v1/receipts", b, "Content-Type", "application/json")
}

func decodeAck(t *testing.T, rec *httptest.ResponseRecorder) api.Ack {
	t.Helper()
	var ack api.Ack
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &ack), rec.Body.String())
	return ack
}

type apiError struct {
	Error struct{ Code, Message string } `json:"error"`
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) apiError {
	t.Helper()
	var e apiError
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e), rec.Body.String())
	return e
}

func TestPostReceipt(t *testing.T) {
	for _, tt := range []struct {
		name    string
		body    func(e *env) []byte
		status  int
		code    string
		message string
	}{
		{name: "OK", status: http.StatusCreated, body: func(e *env) []byte { return body(t, e.sign("", nil)) }},
		{name: "ErrTooLarge", status: http.StatusRequestEntityTooLarge, code: errs.TooLarge,
			body: func(e *env) []byte { return bytes.Repeat([]byte(" "), 65<<10) }},
		{name: "ErrNotJSON", status: http.StatusBadRequest, code: errs.Invalid, message: "body: not valid JSON",
			body: func(e *env) []byte { return []byte(`{"receipt":`) }},
		{name: "ErrMissingField", status: http.StatusBadRequest, code: errs.Invalid, message: "receipt.purposes[1].state: missing",
			body: func(e *env) []byte {
				return []byte(strings.Replace(string(body(t, e.sign("", nil))), `"state":"refused",`, "", 1))
			}},
		{name: "ErrUnknownPurpose", status: http.StatusUnprocessableEntity, code: errs.Unprocessable, message: "unknown purpose",
			body: func(e *env) []byte {
				return body(t, e.sign("", func(p *receipt.Params) { p.Purposes[0].ID = "ads" }))
			}},
		{name: "ErrUnknownPolicy", status: http.StatusUnprocessableEntity, code: errs.Unprocessable, message: "unknown policy version",
			body: func(e *env) []byte {
				return body(t, e.sign("", func(p *receipt.Params) { p.PolicyVersion = "2020-01-01" }))
			}},
		{name: "ErrBadSignature", status: http.StatusUnprocessableEntity, code: errs.Unprocessable, message: "device.sig",
			body: func(e *env) []byte {
				s := e.sign("", nil)
				s.Receipt.Decision = receipt.DecisionDeclined
				return body(t, s)
			}},
		{name: "ErrBrokenChain", status: http.StatusUnprocessableEntity, code: errs.Unprocessable, message: "chain broken",
			body: func(e *env) []byte { return body(t, e.sign(strings.Repeat("ab", 32), nil)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			rec := e.post(tt.body(e))
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			if tt.code == "" {
				ack := decodeAck(t, rec)
				assert.NotEmpty(t, ack.Countersignature)
				assert.Equal(t, e.keys.KeyID(), ack.KeyID)
				assert.Equal(t, now, ack.ReceivedAt)
				assert.Equal(t, 1, e.store.Len())
				return
			}
			got := decodeError(t, rec)
			assert.Equal(t, tt.code, got.Error.Code)
			assert.Contains(t, got.Error.Message, tt.message)
			assert.Equal(t, 0, e.store.Len(), "a refused receipt must leave nothing behind")
			assert.Empty(t, e.logs.String(), "only internal errors are logged")
		})
	}
}

func TestPostReceiptIdempotent(t *testing.T) {
	t.Run("OKRetryGetsSameAnswer", func(t *testing.T) {
		e := newEnv(t, nil)
		b := body(t, e.sign("", nil))
		first := e.post(b)
		require.Equal(t, http.StatusCreated, first.Code)
		retry := e.post(b)
		require.Equal(t, http.StatusOK, retry.Code)
		assert.Equal(t, decodeAck(t, first), decodeAck(t, retry))
		assert.Equal(t, 1, e.store.Len())
	})
	t.Run("OKRetryAfterChainMoved", func(t *testing.T) {
		e := newEnv(t, nil)
		first := e.sign("", nil)
		ack := decodeAck(t, e.post(body(t, first)))
		require.Equal(t, http.StatusCreated, e.post(body(t, e.sign(ack.Hash, nil))).Code)
		retry := e.post(body(t, first))
		require.Equal(t, http.StatusOK, retry.Code, "an acknowledged receipt is never refused on retry")
		assert.Equal(t, ack, decodeAck(t, retry))
	})
	t.Run("OKConcurrentRetries", func(t *testing.T) {
		e := newEnv(t, nil)
		b := body(t, e.sign("", nil))
		var wg sync.WaitGroup
		results := make([]*httptest.ResponseRecorder, 8)
		for i := range results {
			wg.Go(func() { results[i] = e.post(b) })
		}
		wg.Wait()
		created := 0
		for _, rec := range results {
			require.Contains(t, []int{http.StatusCreated, http.StatusOK}, rec.Code, rec.Body.String())
			if rec.Code == http.StatusCreated {
				created++
			}
			assert.Equal(t, decodeAck(t, results[0]), decodeAck(t, rec))
		}
		assert.Equal(t, 1, created)
		assert.Equal(t, 1, e.store.Len())
	})
	t.Run("ErrIDReusedForOtherReceipt", func(t *testing.T) {
		e := newEnv(t, nil)
		first := e.sign("", nil)
		require.Equal(t, http.StatusCreated, e.post(body(t, first)).Code)
		other := e.sign("", func(p *receipt.Params) { p.ID = first.Receipt.ID; p.Decision = receipt.DecisionDeclined })
		rec := e.post(body(t, other))
		require.Equal(t, http.StatusConflict, rec.Code)
		assert.Contains(t, decodeError(t, rec).Error.Message, "receipt.id: already used")
	})
}

// staleHead is a store whose Head lags behind, as when two devices of one
// subject post at once: validation passes and Put must catch the fork.
type staleHead struct{ *memstore.Store }

func (staleHead) Head(context.Context, string) (receipt.Record, error) {
	return receipt.Record{}, errs.New(errs.NotFound, "no head")
}

// failingStore fails every read with an internal error.
type failingStore struct{ *memstore.Store }

func (failingStore) Get(context.Context, string) (receipt.Record, error) {
	return receipt.Record{}, errors.New("disk on fire")
}

func TestNothingPartialIsStored(t *testing.T) {
	t.Run("ErrChainMovedDuringCheck", func(t *testing.T) {
		e := newEnv(t, nil)
		first := e.sign("", nil)
		require.Equal(t, http.StatusCreated, e.post(body(t, first)).Code)
		e.handler = api.New(api.Config{RateLimit: -1, Now: func() time.Time { return now }},
			staleHead{e.store}, e.keys, receipttest.Validator(now), nil)
		fork := e.sign("", nil)
		rec := e.post(body(t, fork))
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Contains(t, decodeError(t, rec).Error.Message, "chain moved")
		assert.Equal(t, 1, e.store.Len())
	})
	t.Run("ErrStorePutFails", func(t *testing.T) {
		e := newEnv(t, nil)
		e.store.FailPut = errors.New("fsync failed")
		rec := e.post(body(t, e.sign("", nil)))
		require.Equal(t, http.StatusInternalServerError, rec.Code)
		got := decodeError(t, rec)
		assert.Equal(t, errs.Internal, got.Error.Code)
		assert.Equal(t, "internal error", got.Error.Message, "no machinery leaks to the client")
		assert.Equal(t, 0, e.store.Len())
		assert.Contains(t, e.logs.String(), "fsync failed")
	})
	t.Run("ErrStoreReadFails", func(t *testing.T) {
		e := newEnv(t, nil)
		e.handler = api.New(api.Config{RateLimit: -1, Now: func() time.Time { return now }},
			failingStore{e.store}, e.keys, receipttest.Validator(now), slog.New(slog.NewTextHandler(e.logs, nil)))
		s := e.sign("", nil)
		rec := e.post(body(t, s))
		require.Equal(t, http.StatusInternalServerError, rec.Code)
		assert.Equal(t, 0, e.store.Len())
		assert.NotContains(t, e.logs.String(), s.Receipt.ID, "logs name the route, not the receipt")
	})
	t.Run("ErrEveryRefusal", func(t *testing.T) {
		e := newEnv(t, nil)
		good := body(t, e.sign("", nil))
		for _, b := range [][]byte{
			good[:len(good)/2],
			bytes.Replace(good, []byte(`"decision":"agreed"`), []byte(`"decision":"declined"`), 1),
			body(t, e.sign(strings.Repeat("cd", 32), nil)),
			body(t, e.sign("", func(p *receipt.Params) { p.IssuedAt = now.Add(time.Hour) })),
			append(good, bytes.Repeat([]byte(" "), 64<<10)...),
		} {
			rec := e.post(b)
			require.GreaterOrEqual(t, rec.Code, 400, rec.Body.String())
		}
		assert.Equal(t, 0, e.store.Len())
	})
}

func TestGetReceipt(t *testing.T) {
	e := newEnv(t, nil)
	s := e.sign("", nil)
	ack := decodeAck(t, e.post(body(t, s)))

	t.Run("OKVerifiesOffline", func(t *testing.T) {
		rec := e.do(http.MethodGet, "/api/v1/receipts/"+s.Receipt.ID, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		var c receipt.Countersigned
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &c))
		assert.Equal(t, ack.Hash, c.Hash)
		assert.Equal(t, ack.Countersignature, c.Countersignature)
		jwks := e.do(http.MethodGet, "/.well-known/jwks.json", nil)
		require.Equal(t, http.StatusOK, jwks.Code)
		_, err := c.Verify(jwks.Body.Bytes())
		require.NoError(t, err)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		rec := e.do(http.MethodGet, "/api/v1/receipts/0f8fad5b-d9cb-469f-a165-70867728950e", nil)
		require.Equal(t, http.StatusNotFound, rec.Code)
		assert.Equal(t, errs.NotFound, decodeError(t, rec).Error.Code)
	})
}

func TestHistory(t *testing.T) {
	e := newEnv(t, nil)
	first := decodeAck(t, e.post(body(t, e.sign("", nil))))
	second := decodeAck(t, e.post(body(t, e.sign(first.Hash, nil))))
	require.NotEmpty(t, second.Hash)

	// Another person, with their own key and receipt.
	other := receipt.GenerateES256Signer()
	otherSubject := receipt.NewSubject()
	p := receipttest.Params(otherSubject, "", now)
	s, err := receipt.Sign(receipt.New(p), other)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, e.post(body(t, s)).Code)

	proof := func(subject string, ts time.Time, signer receipt.Signer) string {
		cred, err := receipt.SignHistoryProof(subject, ts, signer)
		require.NoError(t, err)
		return receipt.ProofScheme + " " + cred
	}
	path := "/api/v1/subjects/" + e.subject + "/receipts"
	stranger := receipt.NewSubject()

	for _, tt := range []struct {
		name, path, auth string
		status           int
	}{
		{"OK", path, proof(e.subject, now.Add(-time.Minute), e.device), http.StatusOK},
		{"OKOtherSubjectOwnKey", "/api/v1/subjects/" + otherSubject + "/receipts", proof(otherSubject, now, other), http.StatusOK},
		{"ErrNoProof", path, "", http.StatusUnauthorized},
		{"ErrBearerInsteadOfProof", path, "Bearer " + adminToken, http.StatusUnauthorized},
		{"ErrGarbledProof", path, receipt.ProofScheme + " !!!", http.StatusUnauthorized},
		{"ErrStaleProof", path, proof(e.subject, now.Add(-6*time.Minute), e.device), http.StatusUnauthorized},
		{"ErrFutureProof", path, proof(e.subject, now.Add(6*time.Minute), e.device), http.StatusUnauthorized},
		{"ErrProofForOtherSubject", path, proof(otherSubject, now, other), http.StatusForbidden},
		{"ErrOthersKeyForMySubject", path, proof(e.subject, now, other), http.StatusForbidden},
		{"ErrUnknownSubject", "/api/v1/subjects/" + stranger + "/receipts",
			proof(stranger, now, e.device), http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if tt.auth != "" {
				headers = []string{"Authorization", tt.auth}
			}
			rec := e.do(http.MethodGet, tt.path, nil, headers...)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status == http.StatusUnauthorized {
				assert.Equal(t, receipt.ProofScheme, rec.Header().Get("WWW-Authenticate"))
			}
			if tt.status != http.StatusOK {
				assert.NotContains(t, rec.Body.String(), "envelope", "nothing of the chain leaks")
				return
			}
			var h receipt.History
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &h))
			require.NoError(t, receipt.VerifyChain(h, e.keys.JWKS()))
		})
	}
	t.Run("OKWholeChainInOrder", func(t *testing.T) {
		rec := e.do(http.MethodGet, path, nil, "Authorization", proof(e.subject, now, e.device))
		require.Equal(t, http.StatusOK, rec.Code)
		var h receipt.History
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &h))
		require.Len(t, h.Receipts, 2)
		assert.Equal(t, first.Hash, h.Receipts[0].Hash)
		assert.Equal(t, second.Hash, h.Receipts[1].Hash)
	})
}

func TestExport(t *testing.T) {
	e := newEnv(t, nil)
	first := decodeAck(t, e.post(body(t, e.sign("", nil))))
	require.Equal(t, http.StatusCreated, e.post(body(t, e.sign(first.Hash, nil))).Code)

	t.Run("OK", func(t *testing.T) {
		rec := e.do(http.MethodGet, "/api/v1/export", nil, "Authorization", "Bearer "+adminToken)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, "application/x-ndjson", rec.Header().Get("Content-Type"))
		lines := 0
		sc := bufio.NewScanner(rec.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var c receipt.Countersigned
			require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
			_, err := c.Verify(e.keys.JWKS())
			require.NoError(t, err)
			lines++
		}
		assert.Equal(t, 2, lines)
	})
	for _, tt := range []struct{ name, auth string }{
		{"ErrNoToken", ""},
		{"ErrWrongToken", "Bearer " + adminToken + "x"},
		{"ErrWrongScheme", "Basic " + adminToken},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := e.do(http.MethodGet, "/api/v1/export", nil, "Authorization", tt.auth)
			require.Equal(t, http.StatusUnauthorized, rec.Code)
			assert.Equal(t, errs.Unauthorized, decodeError(t, rec).Error.Code)
		})
	}
	t.Run("ErrDisabledWithoutToken", func(t *testing.T) {
		e := newEnv(t, func(c *api.Config) { c.AdminToken = "" })
		rec := e.do(http.MethodGet, "/api/v1/export", nil, "Authorization", "Bearer ")
		require.Equal(t, http.StatusUnauthorized, rec.Code)
	})
}

func TestJWKS(t *testing.T) {
	e := newEnv(t, nil)
	rec := e.do(http.MethodGet, "/.well-known/jwks.json", nil)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/jwk-set+json", rec.Header().Get("Content-Type"))
	assert.JSONEq(t, string(e.keys.JWKS()), rec.Body.String())
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(c *api.Config) { c.RateLimit = 2; c.RateWindow = time.Hour })
	get := func(ip string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil)
		req.RemoteAddr = ip + ":4242"
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		return rec
	}
	require.Equal(t, http.StatusOK, get("192.0.2.1").Code)
	require.Equal(t, http.StatusOK, get("192.0.2.1").Code)
	rec := get("192.0.2.1")
	require.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "3600", rec.Header().Get("Retry-After"))
	assert.Equal(t, errs.RateLimited, decodeError(t, rec).Error.Code)
	assert.Equal(t, http.StatusOK, get("192.0.2.2").Code, "another client has its own budget")
}

func TestCORS(t *testing.T) {
	e := newEnv(t, nil)
	const allowed = "https://consent.kaiconn.com"
	t.Run("OKPreflight", func(t *testing.T) {
		rec := e.do(http.MethodOptions, "/api/v1/receipts", nil,
			"Origin", allowed, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type")
		require.Equal(t, http.StatusNoContent, rec.Code)
		assert.Equal(t, allowed, rec.Header().Get("Access-Control-Allow-Origin"))
		assert.Contains(t, rec.Header().Get("Access-Control-Allow-Methods"), "POST")
		assert.Contains(t, rec.Header().Get("Access-Control-Allow-Headers"), "Authorization")
	})
	t.Run("OKSimpleRequest", func(t *testing.T) {
		rec := e.do(http.MethodGet, "/.well-known/jwks.json", nil, "Origin", allowed)
		require.Equal(t, http.StatusOK, rec.Code)
		assert.Equal(t, allowed, rec.Header().Get("Access-Control-Allow-Origin"))
	})
	t.Run("ErrPreflightOtherOrigin", func(t *testing.T) {
		rec := e.do(http.MethodOptions, "/api/v1/receipts", nil,
			"Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
		require.Equal(t, http.StatusForbidden, rec.Code)
		assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
	})
	t.Run("ErrSimpleRequestOtherOrigin", func(t *testing.T) {
		rec := e.do(http.MethodGet, "/.well-known/jwks.json", nil, "Origin", "https://evil.example")
		assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
		assert.Contains(t, rec.Header().Values("Vary"), "Origin")
	})
}

func TestRoutes(t *testing.T) {
	e := newEnv(t, nil)
	t.Run("ErrUnknownEndpoint", func(t *testing.T) {
		rec := e.do(http.MethodGet, "/api/v1/nothing", nil)
		require.Equal(t, http.StatusNotFound, rec.Code)
		assert.Equal(t, errs.NotFound, decodeError(t, rec).Error.Code)
	})
	t.Run("ErrMethod", func(t *testing.T) {
		rec := e.do(http.MethodDelete, "/api/v1/receipts/x", nil)
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
		assert.Equal(t, "method_not_allowed", decodeError(t, rec).Error.Code)
	})
}
