package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/httperr"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
)

// Config tunes the API. The zero value is usable: no export, no CORS,
// defaults for the limits.
type Config struct {
	// AdminToken is the bearer token of GET /api/v1/export; "" disables it.
	AdminToken string
	// ServiceToken is the bearer token of Kaiconn's account service, which
	// erases a cancelled account's subject (DELETE
	// /api/v1/subjects/{subject}, erase.go); "" lets only devices erase.
	ServiceToken string
	// AllowedOrigins lists the origins (scheme://host[:port]) that browsers
	// may call the API from. There is no wildcard.
	AllowedOrigins []string
	// MaxBodyBytes limits a posted receipt; 64 KiB when 0.
	MaxBodyBytes int64
	// RateLimit is how many requests one client IP may make per RateWindow:
	// 120 when 0, unlimited when negative. RateWindow is 1 minute when 0.
	RateLimit  int
	RateWindow time.Duration
	// TrustedProxies lists the address prefixes of reverse proxies whose
	// X-Forwarded-For is believed; with none, the client IP is the
	// connection's remote address.
	TrustedProxies []netip.Prefix
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

// Deps are what the API works with.
type Deps struct {
	// Store keeps the receipts, the key enrolments and the used nonces.
	Store receipt.Store
	// Keys countersign.
	Keys *receipt.Keyring
	// Validator checks a receipt's form, signature, policy text and time.
	Validator *receipt.Validator
	// Catalogue returns the purpose catalogue of a policy version, against
	// which a receipt's content is checked before it is countersigned.
	Catalogue func(version string) (*consent.Catalogue, bool)
	// Credentials checks tickets (the Kaiconn-Ticket header) and mints and
	// checks proof nonces.
	Credentials *credential.Keys
	// Logger gets internal errors only; nil discards.
	Logger *slog.Logger
	// OnExport, when set, records a request for GET /api/v1/export before
	// anything is sent: authorized tells whether it carried the admin
	// token. An error refuses an authorized export (500): an export that
	// cannot be recorded is not made.
	OnExport func(ctx context.Context, authorized bool) error
	// AuditErase records each erasure request in the console's audit log;
	// nil records nothing.
	AuditErase AuditFunc
	// Recorder checks, countersigns and stores posted receipts, as it does
	// the server's own; nil makes one of Store, Keys, Validator and
	// Catalogue.
	Recorder *recorder.Recorder
}

type handler struct {
	cfg      Config
	store    receipt.Store
	keys     *receipt.Keyring
	creds    *credential.Keys
	logger   *slog.Logger
	onExport func(ctx context.Context, authorized bool) error
	rec      *recorder.Recorder

	auditErase AuditFunc
}

// TicketHeader carries the ticket a receipt's id was minted with, so that
// the server may let the receipt's key join the ticket's subject.
const TicketHeader = "Kaiconn-Ticket"

// New returns the API handler. Receipts are acknowledged only after
// store.Put has returned, that is once they are durable.
func New(cfg Config, d Deps) http.Handler {
	store, keys, v, logger := d.Store, d.Keys, d.Validator, d.Logger
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
	if d.Credentials == nil {
		// No ticket verifies then, and nonces live as long as the handler.
		var secret [32]byte
		_, _ = rand.Read(secret[:])
		d.Credentials, _ = credential.NewKeys(secret[:])
	}
	if d.Catalogue == nil {
		d.Catalogue = func(string) (*consent.Catalogue, bool) { return nil, false }
	}
	if d.Recorder == nil {
		d.Recorder = recorder.New(recorder.Config{Store: store, Keys: keys, Validator: v, Catalogue: d.Catalogue, Now: cfg.Now})
	}
	h := &handler{cfg: cfg, store: store, keys: keys, creds: d.Credentials, logger: logger, onExport: d.OnExport, auditErase: d.AuditErase, rec: d.Recorder}

	r := chi.NewRouter()
	r.Use(h.recoverer)
	// CORS comes before the rate limit so that a browser can read a 429.
	r.Use(cors(cfg.AllowedOrigins))
	r.Use(ClientIP(cfg.TrustedProxies))
	if cfg.RateLimit > 0 {
		r.Use(httprate.LimitBy(cfg.RateLimit, cfg.RateWindow,
			func(r *http.Request) (string, error) {
				return ClientKey(r), nil
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
		h.fail(w, r, errs.New(errs.MethodNotAllowed, "method not allowed on this endpoint"))
	})

	r.Post("/api/v1/receipts", h.postReceipt)
	r.Get("/api/v1/receipts/{id}", h.getReceipt)
	r.Get("/api/v1/nonce", h.nonce)
	r.Get("/api/v1/subjects/{subject}/receipts", h.getHistory)
	r.Get("/api/v1/subjects/{subject}/head", h.getHead)
	r.Post("/api/v1/subjects/{subject}/keys", h.postKey)
	r.Delete("/api/v1/subjects/{subject}", h.eraseSubject)
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
	body, ok := h.readBody(w, r, h.cfg.MaxBodyBytes)
	if !ok {
		return
	}
	// Decoding canonicalises the body anyway: the canonical bytes come
	// with it, so they are not computed twice.
	s, canon, err := receipt.DecodeCanonical(body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	stored, created, err := h.rec.Device(r.Context(), s, canon, func() (recorder.Admission, error) {
		ticket, err := h.ticket(r, s.Receipt.ID, s.Receipt.Subject)
		if err != nil || ticket == nil {
			return recorder.Admission{}, err
		}
		// A ticket admits the receipt's key to an existing subject only
		// for the browser that holds that subject's own credential
		// (kc_sub); for a subject with no receipt, the first receipt
		// enrolls its key anyway.
		return recorder.Admission{Join: ticket.NamesSubject(true, h.browserSubject(r)), ShownAt: ticket.MintedAt}, nil
	})
	switch {
	case err != nil:
		h.fail(w, r, err)
	case created:
		writeJSON(w, http.StatusCreated, ackOf(stored))
	default:
		// A retry of an acknowledged receipt gets its first answer back.
		writeJSON(w, http.StatusOK, ackOf(stored))
	}
}

// ticket reads the Kaiconn-Ticket header: the ticket when it is this
// server's, unexpired, and names this receipt's id and subject, so that the
// receipt's key may join the subject; nil when there is none or it names
// another receipt (it then grants nothing). A ticket this server did not
// mint is refused.
func (h *handler) ticket(r *http.Request, id, subject string) (*credential.Ticket, error) {
	v := r.Header.Get(TicketHeader)
	if v == "" || h.creds == nil {
		return nil, nil
	}
	t, err := h.creds.ParseTicket(v, h.cfg.Now())
	switch {
	case credential.IsExpired(err):
		return nil, nil
	case err != nil:
		return nil, errs.New(errs.Invalid, "%s: %s", TicketHeader, errs.Message(err))
	case t.ReceiptID != id || t.Subject != subject:
		return nil, nil
	}
	return &t, nil
}

// browserSubject is the subject the request's kc_sub cookie names, "" when
// it carries none this server signed. The API's CORS never allows
// credentials, so a browser sends the cookie only from our own pages; a
// request a browser marks as coming from another site counts as carrying
// none all the same.
func (h *handler) browserSubject(r *http.Request) string {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return ""
	}
	c, err := r.Cookie(credential.SubjectCookie)
	if err != nil {
		return ""
	}
	subject, err := h.creds.ParseSubject(c.Value)
	if err != nil {
		return ""
	}
	return subject
}

// ReceiptSeen is what anybody may learn of a receipt by its id: that the
// server holds it, and since when. Receipt ids are shown in many places (the
// kc_consent cookie, the bridge message, the settings page), so the answer
// names no subject, chain head, device key or decision.
type ReceiptSeen struct {
	ID         string    `json:"id"`
	ReceivedAt time.Time `json:"receivedAt"`
}

// getReceipt answers GET /api/v1/receipts/{id}: ReceiptSeen to anybody,
// the whole countersigned receipt to a proof by a key enrolled for the
// receipt's subject.
func (h *handler) getReceipt(w http.ResponseWriter, r *http.Request) {
	rec, err := h.store.Get(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.Header.Get("Authorization") == "" {
		writeJSON(w, http.StatusOK, ReceiptSeen{ID: rec.ID, ReceivedAt: rec.ReceivedAt})
		return
	}
	if _, ok := h.authorize(w, r, rec.Subject, false); !ok {
		return
	}
	writeJSON(w, http.StatusOK, receipt.FromRecord(rec))
}

// Nonce is the answer of GET /api/v1/nonce.
type Nonce struct {
	Nonce     string    `json:"nonce"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (h *handler) nonce(w http.ResponseWriter, r *http.Request) {
	n := h.creds.MintNonce(h.cfg.Now())
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, Nonce{Nonce: n.Value, ExpiresAt: n.ExpiresAt})
}

// challenge answers a request without a valid proof: 401 with a fresh
// nonce, so the client can sign a proof without another round trip.
func (h *handler) challenge(w http.ResponseWriter, r *http.Request, err error) {
	n := h.creds.MintNonce(h.cfg.Now())
	w.Header().Set("WWW-Authenticate", receipt.ProofScheme+` nonce="`+n.Value+`"`)
	h.fail(w, r, err)
}

// errNotYours is the one answer for a valid proof that may not read what
// it asked for: the key is not enrolled for the subject, the subject does
// not exist, or the proof names another subject.
var errNotYours = errs.New(errs.Forbidden, "authorization: this key may not read this subject")

// authorize checks the request's KaiconnProof for subject: signed, recent,
// over a nonce this server minted and nobody used before (it is used up
// now), by a key enrolled for subject; or, when ticketOK, by a key enrolled
// for no subject that presents a ticket for subject whose receipt id is
// not used yet, from the browser holding subject's kc_sub (unusedTicket:
// it may enroll with that receipt, so it may read the head it will chain
// to). It writes the refusal itself and returns ok false.
func (h *handler) authorize(w http.ResponseWriter, r *http.Request, subject string, ticketOK bool) (thumb string, ok bool) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, receipt.ProofScheme) || cred == "" {
		h.challenge(w, r, errs.New(errs.Unauthorized, "authorization: a KaiconnProof is required"))
		return "", false
	}
	now := h.cfg.Now()
	proof, err := receipt.ParseHistoryProof(strings.TrimSpace(cred), now, h.cfg.ProofMaxSkew)
	if err != nil {
		h.challenge(w, r, err)
		return "", false
	}
	nonce, err := h.creds.ParseNonce(proof.Nonce, now)
	if err != nil {
		h.challenge(w, r, errs.New(errs.Unauthorized, "authorization: the proof's nonce is not one this server minted, or it expired; get a new one"))
		return "", false
	}
	switch err := h.store.UseNonce(r.Context(), nonce.Value, nonce.ExpiresAt); errs.Code(err) {
	case "":
	case errs.Conflict:
		h.challenge(w, r, errs.New(errs.Unauthorized, "authorization: the proof's nonce was used before; a proof is good once"))
		return "", false
	default:
		h.fail(w, r, err)
		return "", false
	}
	if thumb, err = proof.JWK.Thumbprint(); err != nil {
		h.challenge(w, r, errs.New(errs.Unauthorized, "authorization: proof jwk is malformed"))
		return "", false
	}
	if proof.Subject != subject {
		h.fail(w, r, errNotYours)
		return "", false
	}
	owner, err := h.store.KeySubject(r.Context(), thumb)
	switch {
	case err == nil && subtle.ConstantTimeCompare([]byte(owner), []byte(subject)) == 1:
		return thumb, true
	case err != nil && errs.Code(err) != errs.NotFound:
		h.fail(w, r, err)
		return "", false
	case err != nil && ticketOK:
		switch ok, terr := h.unusedTicket(r, subject); {
		case terr != nil:
			h.fail(w, r, terr)
			return "", false
		case ok:
			return thumb, true
		}
	}
	h.fail(w, r, errNotYours)
	return "", false
}

// unusedTicket tells whether the request's Kaiconn-Ticket is this server's,
// unexpired, for subject, names a receipt id nobody used yet, and names
// subject for this request (credential.Ticket.NamesSubject): the subject
// has no receipt, or the request carries the browser's kc_sub for it.
func (h *handler) unusedTicket(r *http.Request, subject string) (bool, error) {
	t, err := h.creds.ParseTicket(r.Header.Get(TicketHeader), h.cfg.Now())
	if err != nil || t.Subject != subject {
		return false, nil
	}
	switch used, err := h.rec.Used(r.Context(), t.ReceiptID); {
	case err != nil:
		return false, err
	case used:
		return false, nil
	}
	_, err = h.store.Tip(r.Context(), subject)
	switch errs.Code(err) {
	case "", errs.NotFound:
	default:
		return false, err
	}
	return t.NamesSubject(err == nil, h.browserSubject(r)), nil
}

func (h *handler) getHistory(w http.ResponseWriter, r *http.Request) {
	subject := chi.URLParam(r, "subject")
	if _, ok := h.authorize(w, r, subject, false); !ok {
		return
	}
	records, err := h.store.Subject(r.Context(), subject)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	history := receipt.History{Subject: subject, Receipts: make([]receipt.Countersigned, 0, len(records))}
	for _, rec := range records {
		history.Receipts = append(history.Receipts, receipt.FromRecord(rec))
	}
	writeJSON(w, http.StatusOK, history)
}

// Head is the answer of GET /api/v1/subjects/{subject}/head: what a device
// whose chain diverged from the server's needs to sign its pending receipts
// again on the subject's newest receipt.
type Head struct {
	Subject       string            `json:"subject"`
	ID            string            `json:"id"`
	Hash          string            `json:"hash"`
	PolicyVersion string            `json:"policyVersion"`
	Surface       string            `json:"surface"`
	States        map[string]string `json:"states"`
}

func (h *handler) getHead(w http.ResponseWriter, r *http.Request) {
	subject := chi.URLParam(r, "subject")
	if _, ok := h.authorize(w, r, subject, true); !ok {
		return
	}
	rec, err := h.store.Tip(r.Context(), subject)
	if err != nil {
		// Only a ticket's holder gets here for a subject with no receipt.
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, Head{Subject: subject, ID: rec.ID, Hash: rec.Hash, PolicyVersion: rec.PolicyVersion, Surface: rec.Surface, States: rec.States})
}

// Enrolled is the answer to an enrolled key.
type Enrolled struct {
	Subject    string `json:"subject"`
	Thumbprint string `json:"thumbprint"`
}

// postKey enrolls a new device key for a subject on a statement signed by a
// key already enrolled for it, and by the new key (receipt.KeyStatement).
func (h *handler) postKey(w http.ResponseWriter, r *http.Request) {
	subject := chi.URLParam(r, "subject")
	b, ok := h.readBody(w, r, maxStatementBytes)
	if !ok {
		return
	}
	st, err := receipt.DecodeKeyStatement(b)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if st.Subject != subject {
		h.fail(w, r, errs.New(errs.Invalid, "subject: the statement names another subject than the path"))
		return
	}
	newThumb, byThumb, err := st.Verify()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.cfg.Now()
	nonce, err := h.creds.ParseNonce(st.Nonce, now)
	if err != nil {
		h.challenge(w, r, errs.New(errs.Unauthorized, "nonce: not one this server minted, or it expired; get a new one"))
		return
	}
	if err := h.store.UseNonce(r.Context(), nonce.Value, nonce.ExpiresAt); err != nil {
		if errs.Code(err) == errs.Conflict {
			h.challenge(w, r, errs.New(errs.Unauthorized, "nonce: used before; a statement is good once"))
			return
		}
		h.fail(w, r, err)
		return
	}
	if owner, err := h.store.KeySubject(r.Context(), byThumb); err != nil || owner != subject {
		if err != nil && errs.Code(err) != errs.NotFound {
			h.fail(w, r, err)
			return
		}
		h.fail(w, r, errs.New(errs.Forbidden, "by: this key may not enroll keys for this subject"))
		return
	}
	switch err := h.store.Enroll(r.Context(), subject, newThumb, "statement by "+byThumb); errs.Code(err) {
	case "":
	case errs.Forbidden:
		h.fail(w, r, errs.New(errs.Forbidden, "new: this key is enrolled for another subject; a key signs for one subject"))
		return
	default:
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, Enrolled{Subject: subject, Thumbprint: newThumb})
}

func (h *handler) export(w http.ResponseWriter, r *http.Request) {
	authorized := h.admin(r)
	if h.onExport != nil {
		if err := h.onExport(r.Context(), authorized); err != nil && authorized {
			h.fail(w, r, err)
			return
		}
	}
	if !authorized {
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
// code (httperr). Only internal errors are logged, without the request's
// data.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if httperr.Status(err) == http.StatusInternalServerError {
		h.logger.Error("api: internal error", "method", r.Method, "route", routePattern(r), "err", err)
	}
	if errs.Code(err) == errs.RateLimited && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(int(h.cfg.RateWindow.Seconds())))
	}
	httperr.Write(w, err)
}

// routePattern names the route without its parameters, which may be ids.
func routePattern(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
		return rc.RoutePattern()
	}
	return "unmatched"
}

// writeJSON is the one way the API answers JSON.
var writeJSON = httperr.WriteJSON

func (h *handler) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.logger.Error("api: panic", "method", r.Method, "route", routePattern(r), "panic", v)
				httperr.Write(w, errs.New(errs.Internal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}
