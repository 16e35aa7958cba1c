package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/admin"
	"github.com/kaiconn/consent/appconsent"
	"github.com/kaiconn/consent/assets"
	"github.com/kaiconn/consent/banner"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/locales/catalogue"
	policydata "github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
)

// Config is everything an operator can set.
type Config struct {
	// Addr is the listen address, e.g. "localhost:8080" or ":0".
	Addr string
	// DataDir holds the SQLite file and the server's signing keys, and DSN
	// selects PostgreSQL instead of the SQLite file. The program's main
	// opens them (package datadir) and hands the server what it opened
	// (Deps); the server itself never reads these two.
	DataDir string
	DSN     string
	// WebDir holds the built app.wasm and wasm_exec.js.
	WebDir string
	// UserAgreementURL is linked from the first-launch gate.
	UserAgreementURL string

	// AdminToken is the bearer token of GET /api/v1/export; "" disables the
	// export.
	AdminToken string
	// AllowedOrigins are the other origins (scheme://host[:port]) whose
	// pages may call the receipt API; our own origin needs no entry.
	AllowedOrigins []string
	// RateLimit is how many API requests one client IP may make per
	// RateWindow: 120 per minute when zero, unlimited when negative.
	RateLimit  int
	RateWindow time.Duration
	// TrustedProxies are the address prefixes of reverse proxies whose
	// X-Forwarded-For names the client for the rate limits and whose
	// X-Forwarded-Proto says whether the browser used TLS (then every
	// cookie is Secure). From any other peer both are ignored. They are
	// parsed once, where the configuration is read (a single address is
	// its /32 or /128), and every user takes these values.
	TrustedProxies []netip.Prefix
	// FormRateLimit is how many decisions (POST /consent,
	// /settings/privacy, /banner/consent) one client IP may post per
	// FormRateWindow, and FormSubjectRateLimit how many one subject (its
	// kc_sub cookie) may: 60 and 10 per minute when zero, unlimited when
	// negative.
	FormRateLimit        int
	FormSubjectRateLimit int
	FormRateWindow       time.Duration
	// CookieDomain is the Domain of the kc_consent cookie, e.g.
	// "kaiconn.com" so that consent.kaiconn.com and www.kaiconn.com share
	// one decision; empty makes a host-only cookie.
	CookieDomain string
	// ConsentMaxAgeAccept and ConsentMaxAgeReject are the lifetimes of
	// kc_consent after an acceptance and after a decision that refuses
	// anything; zero means 365 and 182 days.
	ConsentMaxAgeAccept time.Duration
	ConsentMaxAgeReject time.Duration
	// BannerOrigins are the site origins (e.g. "https://www.kaiconn.com")
	// allowed to frame /banner and receive its messages, besides our own.
	BannerOrigins []string
	// CatalogueFS and PolicyFS are the purpose catalogues (<version>.toml)
	// and policy texts (<version>/<lang>.md); nil uses the embedded ones.
	// Every policy version needs its catalogue; the newest version is the
	// one asked about.
	CatalogueFS fs.FS
	PolicyFS    fs.FS
	// Admin tunes the consent records console at /admin.
	Admin admin.Config
	// ServiceToken is the bearer token of Kaiconn's account service, which
	// erases a cancelled account's subject (DELETE
	// /api/v1/subjects/{subject}); "" lets only devices erase.
	ServiceToken string
	// Retention is how long a subject's records are kept after its chain
	// ended; nil means DefaultRetention, 0 purges at once. PurgeEvery is
	// how often the server purges: DefaultPurgeEvery when 0, never on a
	// schedule when negative (retention.go).
	Retention  *time.Duration
	PurgeEvery time.Duration
}

// Server is the running program.
type Server struct {
	assets   *assets.Set // the URL of every asset, content-hashed (package assets)
	cfg      Config
	log      *slog.Logger
	msgs     *lang.Bundle
	policies *policy.Library
	router   chi.Router

	// Receipts: the durable store, the countersigning keys, the rules a
	// receipt must meet, and the purpose catalogue of every policy version.
	store      Store
	keys       *receipt.Keyring
	validator  *receipt.Validator
	catalogues map[string]*consent.Catalogue

	cookieKey []byte             // signs the consent cookies (kc_consent, kc_app_consent)
	creds     *credential.Keys   // kc_sub, tickets and proof nonces, from the cookie key
	forms     *formGuard         // origin check and rate limits of the decision posts
	app       *appconsent.App    // the first-launch gate and settings (package appconsent)
	recorder  *recorder.Recorder // checks, countersigns and stores every receipt, the API's and the forms'
	banner    *banner.Banner     // the website's cookie banner (package banner)
	console   *admin.Console     // the consent records console at /admin (package admin)
	purger    *purger            // the retention's purge (retention.go)

	http    *http.Server
	ln      net.Listener
	closers []func() error
}

// Store is what the server keeps its data in: the receipts, and the
// console's operators, sessions and audit log. Every store of package store
// is one, and so is memstore, for tests.
type Store interface {
	receipt.Store
	console.Store
}

// Deps are what the server works on, opened by its caller (the program's
// main through package datadir; tests with memstore), who also closes
// them after Close.
type Deps struct {
	Store Store
	// Keys countersign receipts; they must hold the keys that
	// countersigned what Store holds.
	Keys *receipt.Keyring
	// CookieKey is the secret of the cookies the server signs (at least 32
	// bytes): kc_consent, kc_app_consent, and the credentials derived from
	// it (kc_sub, tickets, proof nonces).
	CookieKey []byte
}

// New prepares a server over d: it loads and validates the policy and the
// catalogues and wires every surface. Nothing listens until Start.
func New(cfg Config, d Deps, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if d.Store == nil || d.Keys == nil {
		return nil, errors.New("server: a store and its keys are required")
	}
	if cfg.WebDir == "" {
		cfg.WebDir = "web"
	}
	polFS, catFS := cfg.PolicyFS, cfg.CatalogueFS
	if polFS == nil {
		polFS = policydata.FS
	}
	if catFS == nil {
		catFS = catalogue.FS
	}
	// Policy texts and catalogues are data shipped with a release: a bad
	// one stops the program at start rather than failing pages later.
	policies, err := policy.Load(polFS)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	s := &Server{cfg: cfg, log: log, msgs: lang.DefaultBundle(), policies: policies,
		store: d.Store, keys: d.Keys, cookieKey: d.CookieKey}
	if err := checkProxies(cfg.TrustedProxies); err != nil {
		return nil, err
	}
	if s.catalogues, err = loadCatalogues(policies, catFS); err != nil {
		return nil, err
	}
	if s.creds, err = credential.NewKeys(s.cookieKey); err != nil {
		return nil, fmt.Errorf("cookie key: %w", err)
	}
	s.forms = s.newFormGuard()
	s.app = s.newAppConsent()
	if s.banner, err = s.newBanner(); err != nil {
		return nil, fmt.Errorf("banner: %w", err)
	}
	s.validator = receipt.NewValidator(s.policyHash, s.purposeKnown, nil)
	s.recorder = s.newRecorder(s.store)
	if s.purger = s.newPurger(); s.purger != nil {
		var tick <-chan time.Time
		if s.purger.every > 0 {
			t := time.NewTicker(s.purger.every)
			s.closers = append(s.closers, func() error { t.Stop(); return nil })
			tick = t.C
		}
		s.purger.start(tick)
		s.closers = append(s.closers, s.purger.stop)
	}
	s.assets = assets.New(cfg.WebDir)
	s.router = s.routes()
	return s, nil
}

// Handler is the whole program as an http.Handler.
func (s *Server) Handler() http.Handler { return s.router }

// Start listens on cfg.Addr and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	return nil
}

// URL is the base URL the server listens on, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// Close stops serving, waits briefly for requests in flight, and stops the
// purge. The store is its opener's to close, after this.
func (s *Server) Close() error {
	var errs []error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := s.http.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			// Requests still running, or connections a browser opened
			// speculatively and never used, which Shutdown waits on: stop
			// waiting and close them.
			err = s.http.Close()
		}
		errs = append(errs, err)
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	return errors.Join(errs...)
}

// newRecorder is the recorder of the server's receipts on store: the one
// path by which the API's and the forms' receipts are checked against the
// catalogues, countersigned and kept.
func (s *Server) newRecorder(store receipt.Store) *recorder.Recorder {
	return recorder.New(recorder.Config{
		Store:     store,
		Keys:      s.keys,
		Validator: s.validator,
		Catalogue: func(version string) (*consent.Catalogue, bool) {
			c, ok := s.catalogues[version]
			return c, ok
		},
		PolicyHash: s.policyHash,
	})
}
