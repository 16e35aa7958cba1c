package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/locales/localestest"
	policydata "github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/memstore"
)

// now is the API's clock, fixed for a run. It is today, since the store
// records a nonce only until it expires by the wall clock.
var now = time.Now().UTC().Truncate(time.Second)

const adminToken = "s3cret-admin-token"

// The API checks receipts against the shipped catalogue and policy texts,
// as the server wires it.
var (
	cat      *consent.Catalogue
	policies *policy.Library
)

func TestMain(m *testing.M) {
	var err error
	if cat, err = consent.LoadCatalogue(catalogues.FS, localestest.Base); err != nil {
		panic(err)
	}
	if policies, err = policy.Load(policydata.FS); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func policySHA(version, lang string) (string, bool) {
	v, ok := policies.Version(version)
	if !ok {
		return "", false
	}
	d, ok := v.Doc(lang)
	if !ok {
		return "", false
	}
	return d.SHA256, true
}

func validator() *receipt.Validator {
	return receipt.NewValidator(policySHA, func(version, id string) bool {
		if version != cat.Version() {
			return false
		}
		_, app := cat.Purpose(consent.SurfaceFirstLaunch, consent.PurposeID(id))
		_, web := cat.Purpose(consent.SurfaceWebBanner, consent.PurposeID(id))
		return app || web
	}, func() time.Time { return now })
}

type env struct {
	t       *testing.T
	handler http.Handler
	cfg     api.Config
	store   *memstore.Store
	keys    *receipt.Keyring
	creds   *credential.Keys
	logs    *bytes.Buffer
	device  receipt.Signer
	subject string
}

func newEnv(t *testing.T, edit func(*api.Config)) *env {
	t.Helper()
	keys, err := receipt.NewKeyring()
	require.NoError(t, err)
	creds, err := credential.NewKeys([]byte("0123456789abcdef0123456789abcdef"))
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
	e := &env{
		t:       t,
		cfg:     cfg,
		store:   memstore.New(),
		keys:    keys,
		creds:   creds,
		logs:    &bytes.Buffer{},
		device:  receipt.GenerateEd25519Signer(),
		subject: receipt.NewSubject(),
	}
	e.handler = e.api(e.store)
	return e
}

// api is the handler over store, wired as the server wires it.
func (e *env) api(store receipt.Store) http.Handler {
	return api.New(e.cfg, api.Deps{
		Store:     store,
		Keys:      e.keys,
		Validator: validator(),
		Catalogue: func(v string) (*consent.Catalogue, bool) {
			return cat, v == cat.Version()
		},
		Credentials: e.creds,
		Logger:      slog.New(slog.NewTextHandler(e.logs, nil)),
	})
}

// params builds the receipt parameters of a first-launch decision that
// grants push, as the browser's outbox does: kaiconn-receipt/2 naming the
// catalogue's shown notice.
func params(t *testing.T, subject, prev string, at time.Time) receipt.Params {
	t.Helper()
	d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, at)
	require.NoError(t, err)
	sha, _ := policySHA(cat.Version(), consent.LangEn)
	p, err := consentreceipt.Params(d, consentreceipt.Meta{
		ReceiptID: uuid.NewString(), PolicySHA256: sha,
		Notice: notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn),
	}, subject, prev)
	require.NoError(t, err)
	return p
}

// paramsV1 is the same decision in kaiconn-receipt/1, the texts inlined.
func paramsV1(t *testing.T, subject, prev string, at time.Time) receipt.Params {
	t.Helper()
	d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, at)
	require.NoError(t, err)
	sha, _ := policySHA(cat.Version(), consent.LangEn)
	p, err := consentreceipt.Params(d, consentreceipt.Meta{
		ReceiptID: uuid.NewString(), PolicySHA256: sha,
		Purposes: consentreceipt.Purposes(cat, consent.SurfaceFirstLaunch, consent.LangEn),
	}, subject, prev)
	require.NoError(t, err)
	return p
}

// sign builds and signs a receipt of the env's subject chained to prev.
func (e *env) sign(prev string, edit func(*receipt.Params)) *receipt.Signed {
	e.t.Helper()
	return e.signBy(e.device, e.subject, prev, edit)
}

func (e *env) signBy(key receipt.Signer, subject, prev string, edit func(*receipt.Params)) *receipt.Signed {
	e.t.Helper()
	p := params(e.t, subject, prev, now.Add(-time.Minute))
	if edit != nil {
		edit(&p)
	}
	s, err := receipt.Sign(receipt.New(p), key)
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
		{name: "OKV1", status: http.StatusCreated, body: func(e *env) []byte {
			s, err := receipt.Sign(receipt.New(paramsV1(t, e.subject, "", now.Add(-time.Minute))), e.device)
			require.NoError(t, err)
			return body(t, s)
		}},
		{name: "ErrTooLarge", status: http.StatusRequestEntityTooLarge, code: errs.TooLarge,
			body: func(e *env) []byte { return bytes.Repeat([]byte(" "), 65<<10) }},
		{name: "ErrNotJSON", status: http.StatusBadRequest, code: errs.Invalid, message: "body: not valid JSON",
			body: func(e *env) []byte { return []byte(`{"receipt":`) }},
		{name: "ErrMissingField", status: http.StatusBadRequest, code: errs.Invalid, message: "receipt.purposes[0].state: missing",
			body: func(e *env) []byte {
				return []byte(strings.Replace(string(body(t, e.sign("", nil))), `"state":"refused"`, `"x":"y"`, 1))
			}},
		{name: "ErrUnknownPurpose", status: http.StatusUnprocessableEntity, code: errs.Unprocessable, message: "unknown purpose",
			body: func(e *env) []byte {
				return body(t, e.sign("", func(p *receipt.Params) { p.Purposes[0].ID = "ads" }))
			}},
		{name: "ErrUnknownPolicy", status: http.StatusUnprocessableEntity, code: errs.Unprocessable, message: "unknown policy version",
			body: func(e *env) []byte {
				return body(t, e.sign("", func(p *receipt.Params) { p.PolicyVersion = "2020-01" }))
			}},
		{name: "ErrBadSignature", status: http.StatusUnprocessableEntity, code: errs.Unprocessable, message: "device.sig",
			body: func(e *env) []byte {
				s := e.sign("", nil)
				s.Receipt.Decision = receipt.DecisionDeclined
				return body(t, s)
			}},
		{name: "ErrServerAttested", status: http.StatusUnprocessableEntity, code: errs.Unprocessable, message: "attestation: must be device",
			body: func(e *env) []byte {
				s, err := receipt.Attest(receipt.New(params(t, e.subject, "", now.Add(-time.Minute))))
				require.NoError(t, err)
				return body(t, s)
			}},
		{name: "ErrNoDeviceSignature", status: http.StatusBadRequest, code: errs.Invalid, message: "device: missing",
			body: func(e *env) []byte {
				s := e.sign("", nil)
				s.Device = receipt.Device{}
				return body(t, s)
			}},
		{name: "ErrBrokenChain", status: http.StatusUnprocessableEntity, code: errs.Unprocessable, message: "receipt.prevHash: not the head of this subject's chain for this key",
			body: func(e *env) []byte { return body(t, e.sign(strings.Repeat("ab", 32), nil)) }},
		{name: "ErrContent", status: http.StatusUnprocessableEntity, code: errs.Unprocessable, message: "receipt.notice: not the catalogue's notice",
			body: func(e *env) []byte {
				return body(t, e.sign("", func(p *receipt.Params) { p.Notice = strings.Repeat("ab", 32) }))
			}},
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

func (staleHead) Tip(context.Context, string) (receipt.Record, error) {
	return receipt.Record{}, errs.New(errs.NotFound, "no head")
}

// failingStore fails every read with an internal error.
type failingStore struct{ *memstore.Store }

func (failingStore) Get(context.Context, string) (receipt.Record, error) {
	return receipt.Record{}, errors.New("disk on fire")
}

func (failingStore) Tip(context.Context, string) (receipt.Record, error) {
	return receipt.Record{}, errors.New("disk on fire")
}

func TestNothingPartialIsStored(t *testing.T) {
	t.Run("ErrChainMovedDuringCheck", func(t *testing.T) {
		e := newEnv(t, nil)
		first := e.sign("", nil)
		require.Equal(t, http.StatusCreated, e.post(body(t, first)).Code)
		e.handler = e.api(staleHead{e.store})
		fork := e.sign("", nil)
		rec := e.post(body(t, fork))
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code)
		assert.Contains(t, decodeError(t, rec).Error.Message, "receipt.prevHash: not the head", "Put refused the fork")
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
		e.handler = e.api(failingStore{e.store})
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
			body(t, e.sign("", func(p *receipt.Params) { p.Decision = receipt.DecisionDeclined })),
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

// proof returns an Authorization value: a KaiconnProof by signer for
// subject, over a fresh nonce from GET /api/v1/nonce.
func (e *env) proof(subject string, signer receipt.Signer) string {
	e.t.Helper()
	return e.proofAt(subject, now, e.nonce(), signer)
}

func (e *env) proofAt(subject string, ts time.Time, nonce string, signer receipt.Signer) string {
	e.t.Helper()
	cred, err := receipt.SignHistoryProof(subject, ts, nonce, signer)
	require.NoError(e.t, err)
	return receipt.ProofScheme + " " + cred
}

func (e *env) nonce() string {
	e.t.Helper()
	rec := e.do(http.MethodGet, "/api/v1/nonce", nil)
	require.Equal(e.t, http.StatusOK, rec.Code)
	assert.Equal(e.t, "no-store", rec.Header().Get("Cache-Control"))
	var n api.Nonce
	require.NoError(e.t, json.Unmarshal(rec.Body.Bytes(), &n))
	assert.Equal(e.t, now.Add(credential.NonceLifetime), n.ExpiresAt)
	return n.Nonce
}

func TestGetReceipt(t *testing.T) {
	e := newEnv(t, nil)
	s := e.sign("", nil)
	ack := decodeAck(t, e.post(body(t, s)))

	t.Run("OKAnonymousSeesIDAndTimeOnly", func(t *testing.T) {
		rec := e.do(http.MethodGet, "/api/v1/receipts/"+s.Receipt.ID, nil)
		require.Equal(t, http.StatusOK, rec.Code)
		var got map[string]any
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		assert.Equal(t, map[string]any{"id": s.Receipt.ID, "receivedAt": now.Format(time.RFC3339)}, got,
			"no subject, chain head, device key or decision")
		assert.NotContains(t, rec.Body.String(), e.subject)
	})
	t.Run("OKOwnKeyVerifiesOffline", func(t *testing.T) {
		rec := e.do(http.MethodGet, "/api/v1/receipts/"+s.Receipt.ID, nil, "Authorization", e.proof(e.subject, e.device))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var c receipt.Countersigned
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &c))
		assert.Equal(t, ack.Hash, c.Hash)
		assert.Equal(t, ack.Countersignature, c.Countersignature)
		jwks := e.do(http.MethodGet, "/.well-known/jwks.json", nil)
		require.Equal(t, http.StatusOK, jwks.Code)
		_, err := c.Verify(jwks.Body.Bytes())
		require.NoError(t, err)
	})
	t.Run("ErrOtherKey", func(t *testing.T) {
		stranger := receipt.GenerateEd25519Signer()
		rec := e.do(http.MethodGet, "/api/v1/receipts/"+s.Receipt.ID, nil, "Authorization", e.proof(e.subject, stranger))
		require.Equal(t, http.StatusForbidden, rec.Code)
		assert.NotContains(t, rec.Body.String(), "envelope")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		rec := e.do(http.MethodGet, "/api/v1/receipts/0f8fad5b-d9cb-469f-a165-70867728950e", nil)
		require.Equal(t, http.StatusNotFound, rec.Code)
		assert.Equal(t, errs.NotFound, decodeError(t, rec).Error.Code)
	})
}

// Proofs are good once: they sign a nonce the server minted, which the
// store records as used.
func TestProofNonce(t *testing.T) {
	e := newEnv(t, nil)
	require.Equal(t, http.StatusCreated, e.post(body(t, e.sign("", nil))).Code)
	path := "/api/v1/subjects/" + e.subject + "/receipts"
	get := func(auth string) *httptest.ResponseRecorder {
		return e.do(http.MethodGet, path, nil, "Authorization", auth)
	}
	challenged := func(t *testing.T, rec *httptest.ResponseRecorder) string {
		t.Helper()
		require.Equal(t, http.StatusUnauthorized, rec.Code, rec.Body.String())
		h := rec.Header().Get("WWW-Authenticate")
		require.True(t, strings.HasPrefix(h, receipt.ProofScheme+` nonce="`), h)
		return strings.TrimSuffix(strings.TrimPrefix(h, receipt.ProofScheme+` nonce="`), `"`)
	}

	t.Run("ErrReplayed", func(t *testing.T) {
		auth := e.proof(e.subject, e.device)
		require.Equal(t, http.StatusOK, get(auth).Code)
		rec := get(auth)
		challenged(t, rec)
		assert.Contains(t, decodeError(t, rec).Error.Message, "used before")
	})
	t.Run("OKChallengeNonce", func(t *testing.T) {
		nonce := challenged(t, e.do(http.MethodGet, path, nil))
		assert.Equal(t, http.StatusOK, get(e.proofAt(e.subject, now, nonce, e.device)).Code, "the challenge's nonce signs a proof")
	})
	t.Run("ErrNoNonce", func(t *testing.T) {
		// A proof as the first version signed it: no nonce.
		p := receipt.HistoryProof{Subject: e.subject, TS: receipt.FormatTime(now), Alg: e.device.Alg(), JWK: e.device.PublicJWK()}
		sig, err := e.device.Sign([]byte("kaiconn-history:" + p.Subject + ":" + p.TS))
		require.NoError(t, err)
		p.Sig = base64.RawURLEncoding.EncodeToString(sig)
		raw, err := json.Marshal(p)
		require.NoError(t, err)
		rec := get(receipt.ProofScheme + " " + base64.RawURLEncoding.EncodeToString(raw))
		challenged(t, rec)
		assert.Contains(t, decodeError(t, rec).Error.Message, "the proof has no nonce: proofs now sign")
	})
	t.Run("ErrInventedNonce", func(t *testing.T) {
		other, err := credential.NewKeys([]byte("another server's key, 32 bytes.."))
		require.NoError(t, err)
		rec := get(e.proofAt(e.subject, now, other.MintNonce(now).Value, e.device))
		challenged(t, rec)
		assert.Contains(t, decodeError(t, rec).Error.Message, "not one this server minted")
	})
	t.Run("ErrExpiredNonce", func(t *testing.T) {
		old := e.creds.MintNonce(now.Add(-credential.NonceLifetime - time.Second)).Value
		challenged(t, get(e.proofAt(e.subject, now, old, e.device)))
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
	require.Equal(t, http.StatusCreated, e.post(body(t, e.signBy(other, otherSubject, "", nil))).Code)

	path := "/api/v1/subjects/" + e.subject + "/receipts"
	stranger := receipt.NewSubject()

	for _, tt := range []struct {
		name, path string
		auth       func() string
		status     int
	}{
		{"OK", path, func() string { return e.proofAt(e.subject, now.Add(-time.Minute), e.nonce(), e.device) }, http.StatusOK},
		{"OKOtherSubjectOwnKey", "/api/v1/subjects/" + otherSubject + "/receipts", func() string { return e.proof(otherSubject, other) }, http.StatusOK},
		{"ErrNoProof", path, func() string { return "" }, http.StatusUnauthorized},
		{"ErrBearerInsteadOfProof", path, func() string { return "Bearer " + adminToken }, http.StatusUnauthorized},
		{"ErrGarbledProof", path, func() string { return receipt.ProofScheme + " !!!" }, http.StatusUnauthorized},
		{"ErrStaleProof", path, func() string { return e.proofAt(e.subject, now.Add(-6*time.Minute), e.nonce(), e.device) }, http.StatusUnauthorized},
		{"ErrFutureProof", path, func() string { return e.proofAt(e.subject, now.Add(6*time.Minute), e.nonce(), e.device) }, http.StatusUnauthorized},
		{"ErrProofForOtherSubject", path, func() string { return e.proof(otherSubject, other) }, http.StatusForbidden},
		{"ErrOthersKeyForMySubject", path, func() string { return e.proof(e.subject, other) }, http.StatusForbidden},
		{"ErrUnknownSubject", "/api/v1/subjects/" + stranger + "/receipts", func() string { return e.proof(stranger, e.device) }, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var headers []string
			if auth := tt.auth(); auth != "" {
				headers = []string{"Authorization", auth}
			}
			rec := e.do(http.MethodGet, tt.path, nil, headers...)
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			if tt.status == http.StatusUnauthorized {
				assert.True(t, strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), receipt.ProofScheme+" nonce="))
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
		rec := e.do(http.MethodGet, path, nil, "Authorization", e.proof(e.subject, e.device))
		require.Equal(t, http.StatusOK, rec.Code)
		var h receipt.History
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &h))
		require.Len(t, h.Receipts, 2)
		assert.Equal(t, first.Hash, h.Receipts[0].Hash)
		assert.Equal(t, second.Hash, h.Receipts[1].Hash)
	})
	t.Run("ErrSameAnswerForUnknownAndForeign", func(t *testing.T) {
		a := e.do(http.MethodGet, "/api/v1/subjects/"+stranger+"/receipts", nil, "Authorization", e.proof(stranger, e.device))
		b := e.do(http.MethodGet, path, nil, "Authorization", e.proof(e.subject, other))
		assert.Equal(t, a.Body.String(), b.Body.String())
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

// The key rules: a subject's first receipt enrolls its key; a key the
// subject never enrolled appends only with a ticket the server minted for
// that very receipt; and every refusal reads the same.
func TestSubjectKeys(t *testing.T) {
	e := newEnv(t, nil)
	first := decodeAck(t, e.post(body(t, e.sign("", nil))))
	owner, err := e.store.KeySubject(t.Context(), thumb(t, e.device))
	require.NoError(t, err)
	assert.Equal(t, e.subject, owner, "the first receipt enrolled its key")

	fresh := receipt.GenerateEd25519Signer()
	postTicket := func(s *receipt.Signed, ticket string, header ...string) *httptest.ResponseRecorder {
		return e.do(http.MethodPost, "/api/v1/receipts", body(t, s), append([]string{"Content-Type", "application/json", api.TicketHeader, ticket}, header...)...)
	}
	// The browser's own subject credential, as its same-origin fetch sends it.
	subjectCookie := credential.SubjectCookie + "=" + e.creds.SubjectValue(e.subject)
	refused := map[string]string{}
	refuse := func(t *testing.T, name string, rec *httptest.ResponseRecorder) {
		t.Helper()
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
		refused[name] = rec.Body.String()
	}

	t.Run("ErrFreshKeyOnExistingSubject", func(t *testing.T) {
		refuse(t, "fresh key", e.post(body(t, e.signBy(fresh, e.subject, first.Hash, nil))))
	})
	t.Run("ErrWrongHead", func(t *testing.T) {
		refuse(t, "wrong head", e.post(body(t, e.sign(strings.Repeat("cd", 32), nil))))
	})
	t.Run("ErrUnknownSubject", func(t *testing.T) {
		refuse(t, "unknown subject", e.post(body(t, e.signBy(fresh, receipt.NewSubject(), first.Hash, nil))))
	})
	t.Run("ErrKeyOfAnotherSubject", func(t *testing.T) {
		refuse(t, "key of another subject", e.post(body(t, e.signBy(e.device, receipt.NewSubject(), "", nil))))
	})
	t.Run("ErrTicketForAnotherReceipt", func(t *testing.T) {
		tk := e.creds.TicketValue(credential.MintTicket(e.subject, now))
		refuse(t, "ticket for another receipt", postTicket(e.signBy(fresh, e.subject, first.Hash, nil), tk))
	})
	t.Run("ErrOneMessageForAll", func(t *testing.T) {
		require.Len(t, refused, 5)
		for name, b := range refused {
			assert.Equal(t, refused["wrong head"], b, name)
		}
		assert.Contains(t, refused["wrong head"], "receipt.prevHash: not the head of this subject's chain for this key")
	})
	t.Run("ErrForgedTicket", func(t *testing.T) {
		other, err := credential.NewKeys([]byte("another server's key, 32 bytes.."))
		require.NoError(t, err)
		s := e.signBy(fresh, e.subject, first.Hash, nil)
		rec := postTicket(s, other.TicketValue(credential.Ticket{ReceiptID: s.Receipt.ID, Subject: e.subject, MintedAt: now}))
		require.Equal(t, http.StatusBadRequest, rec.Code)
		assert.Contains(t, decodeError(t, rec).Error.Message, api.TicketHeader)
	})
	t.Run("ErrTicketAloneForASubjectWithReceipts", func(t *testing.T) {
		// Issue 18: a ticket read off a page of a person who has decided
		// enrolls no key for their subject.
		tk := credential.MintTicket(e.subject, now.Add(-time.Hour))
		s := e.signBy(fresh, e.subject, first.Hash, func(p *receipt.Params) { p.ID = tk.ReceiptID })
		rec := postTicket(s, e.creds.TicketValue(tk))
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
		assert.Contains(t, rec.Body.String(), "receipt.prevHash: not the head of this subject's chain for this key")
		_, err := e.store.KeySubject(t.Context(), thumb(t, fresh))
		assert.Equal(t, errs.NotFound, errs.Code(err), "not enrolled")
	})
	t.Run("ErrTicketWithCookieOfAnotherSubject", func(t *testing.T) {
		tk := credential.MintTicket(e.subject, now.Add(-time.Hour))
		s := e.signBy(fresh, e.subject, first.Hash, func(p *receipt.Params) { p.ID = tk.ReceiptID })
		rec := postTicket(s, e.creds.TicketValue(tk), "Cookie", credential.SubjectCookie+"="+e.creds.SubjectValue(receipt.NewSubject()))
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	})
	t.Run("ErrTicketWithCookieCrossSite", func(t *testing.T) {
		tk := credential.MintTicket(e.subject, now.Add(-time.Hour))
		s := e.signBy(fresh, e.subject, first.Hash, func(p *receipt.Params) { p.ID = tk.ReceiptID })
		rec := postTicket(s, e.creds.TicketValue(tk), "Cookie", subjectCookie, "Sec-Fetch-Site", "same-site")
		require.Equal(t, http.StatusUnprocessableEntity, rec.Code, rec.Body.String())
	})
	t.Run("OKTicketWithTheBrowsersSubjectCookieEnrollsTheKey", func(t *testing.T) {
		tk := credential.MintTicket(e.subject, now.Add(-time.Hour))
		s := e.signBy(fresh, e.subject, first.Hash, func(p *receipt.Params) { p.ID = tk.ReceiptID })
		rec := postTicket(s, e.creds.TicketValue(tk), "Cookie", subjectCookie, "Sec-Fetch-Site", "same-origin")
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		stored, err := e.store.Get(t.Context(), tk.ReceiptID)
		require.NoError(t, err)
		assert.True(t, tk.MintedAt.Equal(stored.ShownAt), "shown when the ticket was minted")
		owner, err := e.store.KeySubject(t.Context(), thumb(t, fresh))
		require.NoError(t, err)
		assert.Equal(t, e.subject, owner)
		// Enrolled now: its next receipt needs no ticket.
		next := e.signBy(fresh, e.subject, stored.Hash, nil)
		assert.Equal(t, http.StatusCreated, e.post(body(t, next)).Code)
	})
	t.Run("ErrTicketGoodOnce", func(t *testing.T) {
		// Its id is stored: the same receipt is a retry, another one
		// reusing the id a conflict, and no other key joins with it.
		tk := credential.MintTicket(e.subject, now)
		head, err := e.store.Head(t.Context(), e.subject)
		require.NoError(t, err)
		s := e.signBy(receipt.GenerateEd25519Signer(), e.subject, head.Hash, func(p *receipt.Params) { p.ID = tk.ReceiptID })
		require.Equal(t, http.StatusCreated, postTicket(s, e.creds.TicketValue(tk), "Cookie", subjectCookie).Code)
		late := e.signBy(receipt.GenerateEd25519Signer(), e.subject, head.Hash, func(p *receipt.Params) { p.ID = tk.ReceiptID; p.Decision = receipt.DecisionUpdated })
		assert.Equal(t, http.StatusConflict, postTicket(late, e.creds.TicketValue(tk), "Cookie", subjectCookie).Code)
	})
}

func thumb(t *testing.T, s receipt.Signer) string {
	t.Helper()
	th, err := s.PublicJWK().Thumbprint()
	require.NoError(t, err)
	return th
}

func TestHead(t *testing.T) {
	e := newEnv(t, nil)
	first := decodeAck(t, e.post(body(t, e.sign("", nil))))
	path := "/api/v1/subjects/" + e.subject + "/head"

	t.Run("OKEnrolledKey", func(t *testing.T) {
		rec := e.do(http.MethodGet, path, nil, "Authorization", e.proof(e.subject, e.device))
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		var h api.Head
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &h))
		assert.Equal(t, api.Head{Subject: e.subject, ID: first.ID, Hash: first.Hash, PolicyVersion: cat.Version(), Surface: receipt.SurfaceFirstLaunch,
			States: map[string]string{"basic": "necessary", "push": "given", "wechat-share": "refused", "location": "refused", "crash-reports": "refused", "analytics": "refused"}}, h)
	})
	fresh := receipt.GenerateEd25519Signer()
	subjectCookie := credential.SubjectCookie + "=" + e.creds.SubjectValue(e.subject)
	t.Run("OKFreshKeyWithUnusedTicketAndTheBrowsersSubjectCookie", func(t *testing.T) {
		tk := e.creds.TicketValue(credential.MintTicket(e.subject, now))
		rec := e.do(http.MethodGet, path, nil, "Authorization", e.proof(e.subject, fresh), api.TicketHeader, tk, "Cookie", subjectCookie)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Contains(t, rec.Body.String(), first.Hash)
	})
	t.Run("ErrFreshKeyWithUnusedTicketAlone", func(t *testing.T) {
		// Issue 18: the ticket of a subject with receipts reads nothing.
		tk := e.creds.TicketValue(credential.MintTicket(e.subject, now))
		rec := e.do(http.MethodGet, path, nil, "Authorization", e.proof(e.subject, fresh), api.TicketHeader, tk)
		require.Equal(t, http.StatusForbidden, rec.Code)
		assert.NotContains(t, rec.Body.String(), first.Hash)
	})
	t.Run("ErrFreshKeyWithoutTicket", func(t *testing.T) {
		rec := e.do(http.MethodGet, path, nil, "Authorization", e.proof(e.subject, fresh))
		require.Equal(t, http.StatusForbidden, rec.Code)
		assert.NotContains(t, rec.Body.String(), first.Hash)
	})
	t.Run("ErrUsedTicket", func(t *testing.T) {
		tk := e.creds.TicketValue(credential.Ticket{ReceiptID: first.ID, Subject: e.subject, MintedAt: now})
		rec := e.do(http.MethodGet, path, nil, "Authorization", e.proof(e.subject, fresh), api.TicketHeader, tk)
		require.Equal(t, http.StatusForbidden, rec.Code)
	})
	t.Run("ErrTicketOfAnotherSubject", func(t *testing.T) {
		tk := e.creds.TicketValue(credential.MintTicket(receipt.NewSubject(), now))
		rec := e.do(http.MethodGet, path, nil, "Authorization", e.proof(e.subject, fresh), api.TicketHeader, tk)
		require.Equal(t, http.StatusForbidden, rec.Code)
	})
	t.Run("ErrNoSuchHeadForANewSubjectsTicket", func(t *testing.T) {
		s := receipt.NewSubject()
		tk := e.creds.TicketValue(credential.MintTicket(s, now))
		rec := e.do(http.MethodGet, "/api/v1/subjects/"+s+"/head", nil, "Authorization", e.proof(s, fresh), api.TicketHeader, tk)
		require.Equal(t, http.StatusNotFound, rec.Code, "start the chain: prevHash \"\"")
	})
}

// A key enrolled for a subject enrolls another by a statement both sign.
func TestPostKey(t *testing.T) {
	e := newEnv(t, nil)
	first := decodeAck(t, e.post(body(t, e.sign("", nil))))
	path := "/api/v1/subjects/" + e.subject + "/keys"
	statement := func(newKey, by receipt.Signer, subject, nonce string) []byte {
		st, err := receipt.SignKeyStatement(subject, nonce, newKey, by)
		require.NoError(t, err)
		b, err := json.Marshal(st)
		require.NoError(t, err)
		return b
	}
	phone := receipt.GenerateES256Signer()

	t.Run("ErrVoucherNotEnrolled", func(t *testing.T) {
		rec := e.do(http.MethodPost, path, statement(phone, receipt.GenerateEd25519Signer(), e.subject, e.nonce()), "Content-Type", "application/json")
		require.Equal(t, http.StatusForbidden, rec.Code, rec.Body.String())
	})
	nonce := e.nonce()
	t.Run("OKEnrolled", func(t *testing.T) {
		rec := e.do(http.MethodPost, path, statement(phone, e.device, e.subject, nonce), "Content-Type", "application/json")
		require.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
		var got api.Enrolled
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		assert.Equal(t, api.Enrolled{Subject: e.subject, Thumbprint: thumb(t, phone)}, got)
		assert.Equal(t, http.StatusCreated, e.post(body(t, e.signBy(phone, e.subject, first.Hash, nil))).Code, "the new key appends")
	})
	t.Run("ErrReplayed", func(t *testing.T) {
		rec := e.do(http.MethodPost, path, statement(receipt.GenerateEd25519Signer(), e.device, e.subject, nonce), "Content-Type", "application/json")
		require.Equal(t, http.StatusUnauthorized, rec.Code)
		assert.Contains(t, decodeError(t, rec).Error.Message, "used before")
	})
	t.Run("ErrKeyOfAnotherSubject", func(t *testing.T) {
		theirs := receipt.GenerateEd25519Signer()
		require.Equal(t, http.StatusCreated, e.post(body(t, e.signBy(theirs, receipt.NewSubject(), "", nil))).Code)
		rec := e.do(http.MethodPost, path, statement(theirs, e.device, e.subject, e.nonce()), "Content-Type", "application/json")
		require.Equal(t, http.StatusForbidden, rec.Code)
		assert.Contains(t, decodeError(t, rec).Error.Message, "another subject")
	})
	t.Run("ErrPathNamesOtherSubject", func(t *testing.T) {
		rec := e.do(http.MethodPost, "/api/v1/subjects/"+receipt.NewSubject()+"/keys", statement(receipt.GenerateEd25519Signer(), e.device, e.subject, e.nonce()), "Content-Type", "application/json")
		require.Equal(t, http.StatusBadRequest, rec.Code)
	})
}
