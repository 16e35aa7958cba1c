package admin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/proof"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/views"
)

// The consent records console (docs/console.md) at /admin: sign-in, the
// insights, the look-up of a subject's receipts with their proof bundles,
// the operations page and the audit log.
//
// Threat model. The console reads every person's consent record, so:
//   - only named operators sign in (kaiconn admin add; there is no default
//     account), with argon2id passwords and a lock-out after failed
//     attempts that does not tell which names exist;
//   - the session cookie is HttpOnly, SameSite=Strict, Secure behind TLS,
//     scoped to /admin, and names a session the store keeps by hash, which
//     signing out or disabling the operator ends;
//   - every post carries the session's CSRF token and must come from our
//     own origin (Origin, else Sec-Fetch-Site); the sign-in form carries a
//     token bound to a cookie of its own;
//   - roles decide what each page shows (console.Role.May), and every
//     action, refusals included, is appended to the audit log before the
//     page is written: a view that cannot be logged is not shown.

// Config tunes the console.
type Config struct {
	// LockoutAttempts failed sign-ins in a row lock a name out for one
	// client address for LockoutDuration, each next lock of the same pair
	// twice as long (console.Lockout): 5 and 15 minutes when zero.
	LockoutAttempts int
	LockoutDuration time.Duration
	// SessionLifetime is how long a sign-in lasts: 8 hours when zero.
	SessionLifetime time.Duration
	// Now is the console's clock: what "today" is on its pages, when
	// sessions and lock-outs end, how audit entries are dated. Nil reads
	// the system's; tests set it, so that no verdict depends on the time
	// of day a test runs at.
	Now func() time.Time
	// SignInRateLimit is how many sign-ins one client address may post
	// per SignInRateWindow: 10 per minute when zero, unlimited when
	// negative.
	SignInRateLimit  int
	SignInRateWindow time.Duration
	// PasswordChecks is how many password checks (argon2id) may run at
	// once, and PasswordWait how long a sign-in waits for its turn before
	// 503: half the CPUs (at least one) and 2 seconds when zero.
	PasswordChecks int
	PasswordWait   time.Duration
	// PasswordMatch checks a password against its hash:
	// console.PasswordMatches when nil. Tests hold it to see how many
	// checks run at once without timing them.
	PasswordMatch func(hash, password string) bool
}

// Defaults of the sign-in's rate limit: an operator signs in a few times a
// day, so ten posts a minute from one address is already a script.
const (
	defaultSignInRateLimit  = 10
	defaultSignInRateWindow = time.Minute
)

func (c Config) sessionLifetime() time.Duration {
	if c.SessionLifetime <= 0 {
		return 8 * time.Hour
	}
	return c.SessionLifetime
}

// minAdminToken is the shortest export token the server starts with
// without a warning: 32 characters of base64 are 192 bits.
const minAdminToken = 32

// Cookies of the console, both HttpOnly, SameSite=Strict, Path=/admin.
const (
	SessionCookie = "kc_admin"       // the session token
	LoginCookie   = "kc_admin_login" // binds the sign-in form's CSRF token to this browser
)

// Store is what the console reads and keeps: operators, sessions and the
// audit log (console.Store), and a subject's receipts.
type Store interface {
	console.Store
	Get(ctx context.Context, id string) (receipt.Record, error)
	Head(ctx context.Context, subject string) (receipt.Record, error)
	Subject(ctx context.Context, subject string) ([]receipt.Record, error)
}

// Settings are the server's settings the operations page shows.
type Settings struct {
	RateLimit      int
	RateWindow     time.Duration
	TrustedProxies []string
	AllowedOrigins []string
	// ExportToken is the export's bearer token: the page says only whether
	// there is one, and the console warns at start when it is short.
	ExportToken string
}

// Deps are what the console works with, given by the server that mounts
// it.
type Deps struct {
	Store Store
	// Retention is the store's erasure, hold and purge side; nil when it
	// has none. Keep is how long the purge keeps an ended chain.
	Retention receipt.Retention
	Keep      time.Duration
	// Keys countersign audit checkpoints and proof bundles, and verify
	// receipts.
	Keys       *receipt.Keyring
	Policies   *policy.Library
	Catalogues map[string]*consent.Catalogue
	// Sources are the texts the server's receipts name.
	Sources proof.Sources
	Msgs    *lang.Bundle
	Log     *slog.Logger
	// CookieKey keys the sign-in form's CSRF token.
	CookieKey []byte
	// Render writes a page in the product's layout; Lang is the reader's
	// language; Origin the server's own origin and HTTPS whether the
	// browser used TLS, as the server's trusted proxies tell; ClientIP
	// sets the client address the sign-in's rate limit and lock-out count,
	// and ClientKey reads it.
	Render    func(w http.ResponseWriter, r *http.Request, page views.Page, loc *lang.Localizer, body templ.Component)
	Lang      func(w http.ResponseWriter, r *http.Request) string
	Origin    func(r *http.Request) string
	HTTPS     func(r *http.Request) bool
	ClientIP  func(http.Handler) http.Handler
	ClientKey func(r *http.Request) string
	Settings  Settings
}

// Console is the consent records console, ready to mount.
type Console struct{ a *admin }

// admin is the console's state.
type admin struct {
	d        Deps
	cfg      Config
	store    Store
	signIn   *console.SignIn
	loginKey []byte    // keys the sign-in form's CSRF token
	refusals *refusals // the anonymous refusals, aggregated for the audit log
	now      func() time.Time
}

// New prepares the console over d.
func New(cfg Config, d Deps) *Console {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	mac := hmac.New(sha256.New, d.CookieKey)
	mac.Write([]byte("kaiconn-admin-login"))
	a := &admin{d: d, cfg: cfg, store: d.Store, loginKey: mac.Sum(nil), now: cfg.Now}
	if a.now == nil {
		a.now = time.Now
	}
	a.signIn = &console.SignIn{Store: d.Store, Now: a.now, Lockout: console.Lockout{
		MaxFailures: cfg.LockoutAttempts, Duration: cfg.LockoutDuration,
	}, Checks: cfg.PasswordChecks, Wait: cfg.PasswordWait}
	if cfg.PasswordMatch != nil {
		a.signIn.Match = cfg.PasswordMatch
	}
	if t := d.Settings.ExportToken; t != "" && len(t) < minAdminToken {
		// The token opens every receipt: one short enough to guess is
		// worth a word at start. Its length and value stay out of the log.
		d.Log.Warn(fmt.Sprintf("the export token (KAICONN_ADMIN_TOKEN, -admin-token) is shorter than %d characters: anyone who guesses it reads every receipt; use a random one, e.g. openssl rand -base64 32", minAdminToken))
	}
	a.refusals = &refusals{a: a}
	return &Console{a: a}
}

// Close writes the refusals still aggregated to the audit log.
func (c *Console) Close() error {
	c.a.refusals.flush(context.Background())
	return nil
}

// Mount serves the console at /admin.
func (c *Console) Mount(r chi.Router) {
	a := c.a
	r.Route("/admin", func(r chi.Router) {
		r.Use(noStore, a.sameOrigin)
		r.Get("/", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/admin/insights", http.StatusSeeOther)
		})
		r.Get("/login", a.loginPage)
		r.With(a.d.ClientIP, a.signInLimit()).Post("/login", a.login)
		r.Group(func(r chi.Router) {
			r.Use(a.signedIn)
			r.Post("/logout", a.logout)
			r.With(a.may(console.SeeInsights)).Get("/insights", a.insights)
			r.With(a.may(console.SeeOperations)).Get("/operations", a.operations)
			r.With(a.may(console.LookUp)).Get("/lookup", a.lookup)
			r.With(a.may(console.LookUp)).Get("/subjects/{subject}", a.subject)
			r.With(a.may(console.LookUp)).Post("/subjects/{subject}/hold", a.holdPost)
			r.With(a.may(console.LookUp)).Get("/subjects/{subject}/proof.html", a.proofHTML)
			r.With(a.may(console.LookUp)).Get("/subjects/{subject}/proof.json", a.proofJSON)
			r.With(a.may(console.ReadAudit)).Get("/audit", a.auditPage)
			r.With(a.may(console.ReadAudit)).Get("/audit.ndjson", a.auditExport)
		})
	})
}

// RecordExport logs a request for GET /api/v1/export in the audit log:
// with the token, before anything is sent, and refusing the export when
// the log cannot take it; without, as an anonymous refusal (aggregated,
// since anyone can send them).
func (c *Console) RecordExport(ctx context.Context, authorized bool) error {
	a := c.a
	if !authorized {
		a.refusals.refuse(ctx, console.Entry{Action: console.ActionExportReceipts, Outcome: "bad-token"})
		return nil
	}
	if !a.audit(ctx, console.Entry{Operator: console.ExportToken, Action: console.ActionExportReceipts, Outcome: console.OutcomeOK}) {
		return errs.New(errs.Internal, "audit log: the export could not be recorded")
	}
	return nil
}

type adminCtxKey struct{}

// adminRequest is who is asking, once signed in.
type adminRequest struct {
	op      console.Operator
	session console.Session
	lang    string
	loc     *lang.Localizer
}

// signInLimit bounds the sign-ins one client address may post per window
// (Config.SignInRateLimit): past it, 429 before any password is
// checked or anything logged.
func (a *admin) signInLimit() func(http.Handler) http.Handler {
	limit, window := a.cfg.SignInRateLimit, a.cfg.SignInRateWindow
	if limit == 0 {
		limit = defaultSignInRateLimit
	}
	if window <= 0 {
		window = defaultSignInRateWindow
	}
	if limit < 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	return httprate.LimitBy(limit, window, func(r *http.Request) (string, error) {
		return "admin-login:" + a.d.ClientKey(r), nil
	}, httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", strconv.Itoa(int(window.Seconds())))
		a.renderLogin(w, r, http.StatusTooManyRequests, a.d.Lang(w, r), "", "admin_error_locked", r.PostFormValue("next"))
	}))
}

// noStore keeps console pages out of caches: they show personal data.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// sameOrigin refuses a post from another origin before anything reads
// it: the Origin header when the browser sends one ("null" included),
// else Sec-Fetch-Site. A client that sends neither is not a browser a
// page could have driven, and still needs the CSRF token.
func (a *admin) sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			origin := r.Header.Get("Origin")
			site := r.Header.Get("Sec-Fetch-Site")
			if (origin != "" && origin != a.d.Origin(r)) || (origin == "" && site != "" && site != "same-origin" && site != "none") {
				a.refuseCrossSite(w, r)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
			if err := r.ParseForm(); err != nil {
				http.Error(w, "form: unreadable", http.StatusBadRequest)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (a *admin) refuseCrossSite(w http.ResponseWriter, r *http.Request) {
	a.refusals.refuse(r.Context(), console.Entry{Action: "post " + routeName(r), Outcome: "cross-site"})
	http.Error(w, "cross-site request refused", http.StatusForbidden)
}

// routeName is the console path without ids, for the audit log.
func routeName(r *http.Request) string {
	p := r.URL.Path
	if strings.HasPrefix(p, "/admin/subjects/") {
		return "/admin/subjects/…"
	}
	if len(p) > 64 {
		p = p[:64]
	}
	return p
}

// signedIn finds the request's session and operator; without one, a page
// sends the browser to the sign-in form and a post is refused.
func (a *admin) signedIn(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := a.d.Lang(w, r)
		req, ok := a.session(r)
		if !ok {
			if r.Method != http.MethodGet {
				http.Error(w, "not signed in", http.StatusForbidden)
				return
			}
			next := r.URL.Path
			if r.URL.RawQuery != "" {
				next += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, "/admin/login?"+url.Values{"lang": {l}, "next": {next}}.Encode(), http.StatusSeeOther)
			return
		}
		req.lang, req.loc = l, a.d.Msgs.Localizer(l)
		if r.Method == http.MethodPost {
			if err := req.session.CheckCSRF(r.PostFormValue("csrf")); err != nil {
				a.audit(r.Context(), a.entry(req, "post "+routeName(r), "", "csrf"))
				http.Error(w, "form: not one this session was given", http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), adminCtxKey{}, req)))
	})
}

// session reads the session cookie; the operator must still exist and be
// enabled, so that disabling one takes effect at once.
func (a *admin) session(r *http.Request) (*adminRequest, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, false
	}
	now := a.now()
	sess, err := a.store.Session(r.Context(), console.SessionID(c.Value), now)
	if err != nil {
		return nil, false
	}
	op, err := a.store.Operator(r.Context(), sess.Operator)
	if err != nil || op.Disabled {
		return nil, false
	}
	return &adminRequest{op: op, session: sess}, true
}

func requestOf(r *http.Request) *adminRequest {
	return r.Context().Value(adminCtxKey{}).(*adminRequest)
}

// may lets the request through when the operator's role grants p, and
// otherwise logs the refusal and answers 403.
func (a *admin) may(p console.Permission) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			req := requestOf(r)
			if !req.op.Role.May(p) {
				target := chi.URLParam(r, "subject")
				if target == "" {
					target = r.URL.Query().Get("q")
				}
				a.audit(r.Context(), a.entry(req, string(p), target, console.OutcomeDenied))
				a.fail(w, r, http.StatusForbidden, req.loc.T("admin_forbidden_title"), req.loc.T("admin_forbidden"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// entry is an audit entry of req.
func (a *admin) entry(req *adminRequest, action, target, outcome string) console.Entry {
	return console.Entry{At: a.now(), Operator: req.op.Name, Role: req.op.Role, Action: action, Target: target, Outcome: outcome}
}

// audit appends e. It reports failure, so that a view that must be logged
// is not shown unlogged.
func (a *admin) audit(ctx context.Context, e console.Entry) bool {
	if e.At.IsZero() {
		e.At = a.now()
	}
	if len(e.Target) > 200 {
		e.Target = e.Target[:200]
	}
	stored, err := a.store.Append(ctx, e)
	if err != nil {
		a.d.Log.Error("admin: audit log", "action", e.Action, "err", err)
		return false
	}
	if stored.Seq%console.CheckpointEvery == 0 {
		// The entry is logged either way; a checkpoint that fails is
		// made good by the next one, which anchors everything before it.
		if err := a.checkpoint(ctx, stored); err != nil {
			a.d.Log.Error("admin: audit checkpoint", "seq", stored.Seq, "err", err)
		}
	}
	return true
}

// checkpoint appends an entry signed with the server's countersigning key
// that anchors anchor (console.NewCheckpoint): from then on, deleting or
// changing anchor or any entry before it and re-hashing the chain shows.
func (a *admin) checkpoint(ctx context.Context, anchor console.Entry) error {
	cp, err := console.NewCheckpoint(anchor, a.now(), a.d.Keys)
	if err != nil {
		return err
	}
	_, err = a.store.Append(ctx, cp)
	return err
}

// checkpointNewest anchors the newest entry of the log.
func (a *admin) checkpointNewest(ctx context.Context) error {
	newest, err := a.store.AuditPage(ctx, 0, 1)
	if err != nil || len(newest) == 0 {
		return err
	}
	return a.checkpoint(ctx, newest[0])
}

// logged appends an entry for a view and, when that fails, answers 500
// instead of the view.
func (a *admin) logged(w http.ResponseWriter, r *http.Request, action, target string) bool {
	req := requestOf(r)
	if a.audit(r.Context(), a.entry(req, action, target, console.OutcomeOK)) {
		return true
	}
	a.fail(w, r, http.StatusInternalServerError, req.loc.T("admin_error_title"), req.loc.T("admin_error_audit"))
	return false
}

// chrome is the frame of a page for req.
func (a *admin) chrome(r *http.Request, current string) views.AdminChrome {
	req := requestOf(r)
	q := r.URL.Query()
	q.Set("lang", lang.Other(req.lang))
	return views.AdminChrome{
		Lang: req.lang, Operator: req.op.Name, Role: req.loc.T("admin_role_" + string(req.op.Role)), CSRF: req.session.CSRF,
		Current: current, CanLookUp: req.op.Role.May(console.LookUp), CanAudit: req.op.Role.May(console.ReadAudit),
		SwitchURL: r.URL.Path + "?" + q.Encode(),
	}
}

// page writes a console page inside the shell.
func (a *admin) page(w http.ResponseWriter, r *http.Request, status int, title string, c views.AdminChrome, body templ.Component) {
	req := requestOf(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	a.d.Render(w, r, views.Page{Lang: req.lang, Title: title, Surface: "admin", NoWasm: true}, req.loc,
		templ.ComponentFunc(func(ctx context.Context, w2 io.Writer) error {
			return views.AdminShell(c, req.loc).Render(templ.WithChildren(ctx, body), w2)
		}))
}

// fail writes an error page inside the shell.
func (a *admin) fail(w http.ResponseWriter, r *http.Request, status int, title, message string) {
	req := requestOf(r)
	c := a.chrome(r, "")
	a.page(w, r, status, title, c, views.AdminErrorPage(views.AdminError{AdminChrome: c, Title: title, Message: message}, req.loc))
}

// loginToken is the sign-in form's CSRF token for the value of its
// cookie: only a page our server wrote for this browser has both.
func (a *admin) loginToken(cookie string) string {
	mac := hmac.New(sha256.New, a.loginKey)
	mac.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (a *admin) cookie(r *http.Request, name, value, path string, maxAge time.Duration) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, MaxAge: int(maxAge / time.Second), HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: a.d.HTTPS(r)}
}

// safeNext keeps a post-sign-in destination inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/admin/insights"
	}
	return next
}

func (a *admin) loginPage(w http.ResponseWriter, r *http.Request) {
	l := a.d.Lang(w, r)
	if _, ok := a.session(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	a.renderLogin(w, r, http.StatusOK, l, "", "", r.URL.Query().Get("next"))
}

func (a *admin) renderLogin(w http.ResponseWriter, r *http.Request, status int, l, name, errID, next string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	value := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, a.cookie(r, LoginCookie, value, "/admin/login", time.Hour))
	loc := a.d.Msgs.Localizer(l)
	v := views.AdminLogin{Lang: l, CSRF: a.loginToken(value), Name: name, Next: next, Error: errID,
		SwitchURL: "/admin/login?" + url.Values{"lang": {lang.Other(l)}, "next": {next}}.Encode()}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	a.d.Render(w, r, views.Page{Lang: l, Title: loc.T("admin_sign_in_title"), Surface: "admin", NoWasm: true}, loc, views.AdminLoginPage(v, loc))
}

func (a *admin) login(w http.ResponseWriter, r *http.Request) {
	l := a.d.Lang(w, r)
	if pl, ok := lang.Normalize(r.PostFormValue("lang")); ok {
		l = pl
	}
	name, next := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("next")
	c, err := r.Cookie(LoginCookie)
	if err != nil || !hmac.Equal([]byte(a.loginToken(c.Value)), []byte(r.PostFormValue("csrf"))) {
		a.refusals.refuse(r.Context(), console.Entry{Action: console.ActionSignIn, Outcome: "csrf"})
		a.renderLogin(w, r, http.StatusForbidden, l, name, "admin_error_form", next)
		return
	}
	op, outcome, err := a.signIn.Check(r.Context(), name, a.d.ClientKey(r), r.PostFormValue("password"))
	// Check names an operator only when the name is one: whatever else
	// was typed as a name may be a password typed in the wrong field, and
	// it does not go into the log, whatever the outcome.
	entry := console.Entry{Operator: op.Name, Role: op.Role, Action: console.ActionSignIn, Outcome: outcome}
	switch {
	case err == console.ErrBusy:
		// Nothing was checked: the client is told to come back, and the
		// log is not written, since a flood is what this answers.
		w.Header().Set("Retry-After", "1")
		a.renderLogin(w, r, http.StatusServiceUnavailable, l, name, "admin_error_busy", next)
		return
	case err == console.ErrLockedOut:
		a.audit(r.Context(), entry)
		a.renderLogin(w, r, http.StatusTooManyRequests, l, name, "admin_error_locked", next)
		return
	case err == console.ErrBadCredentials:
		a.audit(r.Context(), entry)
		a.renderLogin(w, r, http.StatusUnauthorized, l, name, "admin_error_credentials", next)
		return
	case err != nil:
		a.d.Log.Error("admin: sign-in", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	sess, token := console.NewSession(op.Name, a.now(), a.cfg.sessionLifetime())
	if err := a.store.CreateSession(r.Context(), sess); err != nil || !a.audit(r.Context(), entry) {
		a.d.Log.Error("admin: session", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.SetCookie(w, a.cookie(r, LoginCookie, "", "/admin/login", -time.Second))
	http.SetCookie(w, a.cookie(r, SessionCookie, token, "/admin", a.cfg.sessionLifetime()))
	dest := safeNext(next)
	sep := "?"
	if strings.Contains(dest, "?") {
		sep = "&"
	}
	if !strings.Contains(dest, "lang=") {
		dest += sep + "lang=" + l
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

func (a *admin) logout(w http.ResponseWriter, r *http.Request) {
	req := requestOf(r)
	if err := a.store.EndSession(r.Context(), req.session.ID); err != nil {
		a.d.Log.Error("admin: sign-out", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	a.audit(r.Context(), a.entry(req, console.ActionSignOut, "", console.OutcomeOK))
	http.SetCookie(w, a.cookie(r, SessionCookie, "", "/admin", -time.Second))
	http.Redirect(w, r, "/admin/login?lang="+req.lang, http.StatusSeeOther)
}
