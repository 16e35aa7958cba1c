package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Config tunes the API. The zero value is usable: no export, no CORS,
// defaults for the limits.
type Config struct {
	// AdminToken is the bearer token of GET /api/v1/export; "" disables it.
	AdminToken string
	// AllowedOrigins lists the origins (scheme://host[:port]) that browsers
	// may call the API from. There is no wildcard.
	AllowedOrigins []string
	// MaxBodyBytes limits a posted receipt; 64 KiB when 0.
	MaxBodyBytes int64
	// RateLimit is how many requests one client IP may make per RateWindow:
	// 120 when 0, unlimited when negative. RateWindow is 1 minute when 0.
	RateLimit  int
	RateWindow time.Duration
	// TrustedProxies lists the address prefixes (CIDR) of reverse proxies
	// whose X-Forwarded-For is believed; with none, the client IP is the
	// connection's remote address.
	TrustedProxies []string
	// ProofMaxSkew is how far a history proof's ts may be from the clock; 5
	// minutes when 0.
	ProofMaxSkew time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

const (
	defaultMaxBody    = 64 << 10
	defaultRateLimit  = 120
	defaultRateWindow = time.Minute
	defaultProofSkew  = 5 * time.Minute
)

// codeForbidden is the code for a caller that proved who it is but may not
// see what it asked for.
const codeForbidden = errs.Forbidden

// statusOf is the one table from error codes to HTTP status codes.
var statusOf = map[string]int{
	errs.Invalid:       http.StatusBadRequest,
	errs.Unprocessable: http.StatusUnprocessableEntity,
	errs.NotFound:      http.StatusNotFound,
	errs.Conflict:      http.StatusConflict,
	errs.TooLarge:      http.StatusRequestEntityTooLarge,
	errs.RateLimited:   http.StatusTooManyRequests,
	errs.Unauthorized:  http.StatusUnauthorized,
	codeForbidden:      http.StatusForbidden,
	errs.Internal:      http.StatusInternalServerError,
}

type handler struct {
	cfg    Config
	store  receipt.Store
	keys   *receipt.Keyring
	v      *receipt.Validator
	logger *slog.Logger
}

// New returns the API handler. Receipts are acknowledged only after
// store.Put has returned, that is once they are durable.
func New(cfg Config, store receipt.Store, keys *receipt.Keyring, v *receipt.Validator, logger *slog.Logger) http.Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = defaultMaxBody
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = defaultRateLimit
	}
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = defaultRateWindow
	}
	if cfg.ProofMaxSkew <= 0 {
		cfg.ProofMaxSkew = defaultProofSkew
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{cfg: cfg, store: store, keys: keys, v: v, logger: logger}

	r := chi.NewRouter()
	r.Use(h.recoverer)
	// CORS comes before the rate limit so that a browser can read a 429.
	r.Use(cors(cfg.AllowedOrigins))
	if len(cfg.TrustedProxies) > 0 {
		r.Use(middleware.ClientIPFromXFF(cfg.TrustedProxies...))
	} else {
		r.Use(middleware.ClientIPFromRemoteAddr)
	}
	if cfg.RateLimit > 0 {
		r.Use(httprate.LimitBy(cfg.RateLimit, cfg.RateWindow,
			func(r *http.Request) (string, error) {
				return httprate.CanonicalizeIP(middleware.GetClientIP(r.Context())), nil
			},
			httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
				h.fail(w, r, errs.New(errs.RateLimited, "too many requests; retry later"))
			}),
		))
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, errs.New(errs.NotFound, "no such endpoint"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusMethodNotAllowed, errorBody("method_not_allowed", "method not allowed on this endpoint"))
	})

	r.Post("/api/v1/receipts", h.postReceipt)
	r.Get("/api/v1/receipts/{id}", h.getReceipt)
	r.Get("/api/v1/subjects/{subject}/receipts", h.getHistory)
	r.Get("/api/v1/export", h.export)
	r.Get("/.well-known/jwks.json", h.jwks)
	return r
}

// Ack is the answer to a posted receipt. A retry of the same receipt gets
// the same Ack.
type Ack struct {
	ID               string    `json:"id"`
	Hash             string    `json:"hash"`
	Countersignature string    `json:"countersignature"`
	KeyID            string    `json:"kid"`
	ReceivedAt       time.Time `json:"receivedAt"`
}

func ackOf(r receipt.Record) Ack {
	return Ack{ID: r.ID, Hash: r.Hash, Countersignature: r.Countersig, KeyID: r.KeyID, ReceivedAt: r.ReceivedAt}
}

func (h *handler) postReceipt(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.ContentLength > h.cfg.MaxBodyBytes {
		h.fail(w, r, errs.New(errs.TooLarge, "body: larger than %d bytes", h.cfg.MaxBodyBytes))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.fail(w, r, errs.New(errs.TooLarge, "body: larger than %d bytes", h.cfg.MaxBodyBytes))
			return
		}
		h.fail(w, r, errs.New(errs.Invalid, "body: could not be read"))
		return
	}
	s, err := receipt.Decode(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	canon, err := s.Canonical()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hash := receipt.HashBytes(canon)

	// A retry of an acknowledged receipt gets its first answer back, even if
	// the chain has moved on or the receipt has aged since.
	switch existing, err := h.store.Get(ctx, s.Receipt.ID); errs.Code(err) {
	case "":
		h.replay(w, r, existing, hash)
		return
	case errs.NotFound:
	default:
		h.fail(w, r, err)
		return
	}

	head := ""
	switch rec, err := h.store.Head(ctx, s.Receipt.Subject); errs.Code(err) {
	case "":
		head = rec.Hash
	case errs.NotFound:
	default:
		h.fail(w, r, err)
		return
	}
	if err := h.v.Validate(s, head); err != nil {
		h.fail(w, r, err)
		return
	}

	jws, kid, err := h.keys.Countersign(canon)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Validate verified the device signature, so the key parses.
	deviceKey, err := s.Device.JWK.Thumbprint()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	states := make(map[string]string, len(s.Receipt.Purposes))
	for _, p := range s.Receipt.Purposes {
		states[p.ID] = p.State
	}
	rec := receipt.Record{
		ID:            s.Receipt.ID,
		Subject:       s.Receipt.Subject,
		PrevHash:      s.Receipt.PrevHash,
		Hash:          hash,
		PolicyVersion: s.Receipt.Policy.Version,
		Surface:       s.Receipt.Surface,
		IssuedAt:      s.Receipt.IssuedTime(),
		// Milliseconds, so that every store keeps the time exactly and a
		// retry's answer equals the first one.
		ReceivedAt: h.cfg.Now().UTC().Truncate(time.Millisecond),
		Body:       canon,
		Countersig: jws,
		KeyID:      kid,
		Language:   s.Receipt.Language,
		Decision:   s.Receipt.Decision,
		Schema:     receipt.SchemaNumber(s.Receipt.Schema),
		DeviceKey:  deviceKey,
		States:     states,
	}
	stored, created, err := h.store.Put(ctx, rec, receipt.PutOptions{})
	switch {
	case errs.Code(err) == errs.Conflict, errs.Code(err) == errs.Forbidden:
		// One answer for a moved chain and a key not enrolled for the
		// subject, so that it does not tell which subjects exist.
		h.fail(w, r, errs.New(errs.Unprocessable,
			"receipt.prevHash: chain broken: the subject's chain moved while this receipt was checked; fetch the chain and sign again"))
		return
	case err != nil:
		h.fail(w, r, err)
		return
	case !created:
		// Another request with the same id won the race.
		h.replay(w, r, stored, hash)
		return
	}
	writeJSON(w, http.StatusCreated, ackOf(stored))
}

// replay answers a receipt whose id is already stored: the same answer for
// the same receipt, a conflict for a different one under a reused id.
func (h *handler) replay(w http.ResponseWriter, r *http.Request, stored receipt.Record, hash string) {
	if stored.Hash != hash {
		h.fail(w, r, errs.New(errs.Conflict, "receipt.id: already used by a different receipt"))
		return
	}
	writeJSON(w, http.StatusOK, ackOf(stored))
}

func (h *handler) getReceipt(w http.ResponseWriter, r *http.Request) {
	rec, err := h.store.Get(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, receipt.FromRecord(rec))
}

func (h *handler) getHistory(w http.ResponseWriter, r *http.Request) {
	subject := chi.URLParam(r, "subject")
	scheme, credential, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, receipt.ProofScheme) || credential == "" {
		w.Header().Set("WWW-Authenticate", receipt.ProofScheme)
		h.fail(w, r, errs.New(errs.Unauthorized, "authorization: a KaiconnProof is required"))
		return
	}
	proof, err := receipt.ParseHistoryProof(strings.TrimSpace(credential), h.cfg.Now(), h.cfg.ProofMaxSkew)
	if err != nil {
		w.Header().Set("WWW-Authenticate", receipt.ProofScheme)
		h.fail(w, r, err)
		return
	}
	if proof.Subject != subject {
		h.fail(w, r, errs.New(codeForbidden, "authorization: the proof is for another subject"))
		return
	}
	thumb, err := proof.JWK.Thumbprint()
	if err != nil {
		h.fail(w, r, errs.New(errs.Unauthorized, "authorization: proof jwk is malformed"))
		return
	}
	records, err := h.store.Subject(r.Context(), subject)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The same answer whether the subject has no receipt or none signed by
	// this key, so that the API does not tell which subjects exist.
	if !signedBy(records, thumb) {
		h.fail(w, r, errs.New(codeForbidden, "authorization: no receipt of this subject was signed by this key"))
		return
	}
	history := receipt.History{Subject: subject, Receipts: make([]receipt.Countersigned, 0, len(records))}
	for _, rec := range records {
		history.Receipts = append(history.Receipts, receipt.FromRecord(rec))
	}
	writeJSON(w, http.StatusOK, history)
}

// signedBy tells whether any record's device key has thumbprint thumb.
func signedBy(records []receipt.Record, thumb string) bool {
	for _, rec := range records {
		s, err := receipt.Decode(rec.Body)
		if err != nil {
			continue
		}
		if t, err := s.Device.JWK.Thumbprint(); err == nil && subtle.ConstantTimeCompare([]byte(t), []byte(thumb)) == 1 {
			return true
		}
	}
	return false
}

func (h *handler) export(w http.ResponseWriter, r *http.Request) {
	if !h.admin(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="export"`)
		h.fail(w, r, errs.New(errs.Unauthorized, "authorization: admin bearer token required"))
		return
	}
	started := false
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	err := h.store.Export(r.Context(), func(rec receipt.Record) error {
		if !started {
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
			started = true
		}
		return enc.Encode(receipt.FromRecord(rec))
	})
	switch {
	case err == nil && !started:
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.WriteHeader(http.StatusOK)
	case err != nil && !started:
		h.fail(w, r, err)
	case err != nil:
		// The status is sent already; cutting the connection is the only way
		// left to tell the client the export is incomplete.
		h.logger.Error("api: export interrupted", "err", err)
		panic(http.ErrAbortHandler)
	}
}

// admin compares the bearer token in constant time; hashing first hides the
// token's length too.
func (h *handler) admin(r *http.Request) bool {
	if h.cfg.AdminToken == "" {
		return false
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	want := sha256.Sum256([]byte(h.cfg.AdminToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

func (h *handler) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(h.keys.JWKS())
}

// fail writes err as {"error":{"code","message"}} with the status of its
// code. Only internal errors are logged, without the request's data.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := errs.Code(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		h.logger.Error("api: internal error", "method", r.Method, "route", routePattern(r), "err", err)
	}
	if code == errs.RateLimited && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(int(h.cfg.RateWindow.Seconds())))
	}
	writeJSON(w, status, errorBody(code, errs.Message(err)))
}

// routePattern names the route without its parameters, which may be ids.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
		return rc.RoutePattern()
	}
	return "unmatched"
}

type errorJSON struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func errorBody(code, message string) errorJSON {
	var e errorJSON
	e.Error.Code, e.Error.Message = code, message
	return e
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func (h *handler) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.logger.Error("api: panic", "method", r.Method, "route", routePattern(r), "panic", v)
				writeJSON(w, http.StatusInternalServerError, errorBody(errs.Internal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
