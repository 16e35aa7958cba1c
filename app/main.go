//go:build !wasm

package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kaiconn/consent/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kaiconn-consent:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "admin" {
		return runAdmin(args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	}
	if len(args) > 0 && args[0] == "purge" {
		return runPurge(args[1:], os.Getenv, os.Stdout)
	}
	cfg, err := parseConfig(args, os.Getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := server.Open(cfg, log)
	if err != nil {
		return err
	}
	// Catch the stop signals before announcing anything: one that came
	// after "serving" but before this would kill the program instead of
	// closing it. (During Open, which may wait on PostgreSQL, a signal
	// still kills at once.)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(); err != nil {
		srv.Close()
		return err
	}
	warnMissingWasm(log, cfg.WebDir)
	log.Info("serving", "url", srv.URL())
	<-ctx.Done()
	// An interrupt is how an operator stops the program: a clean close is
	// a success, so that make run ends quietly on Ctrl-C.
	return srv.Close()
}

// warnMissingWasm says so at start when the wasm is not built. Every page
// still works without it (server-rendered HTML is the product), but the
// interactive layer is missing and /app.wasm answers 404, which is easy to
// miss in a browser.
func warnMissingWasm(log *slog.Logger, webDir string) {
	var missing []string
	for _, name := range []string{"app.wasm", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(webDir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return
	}
	log.Warn("the wasm is not built: pages work without it, but without the interactive layer; run `make wasm` to build it",
		"missing", strings.Join(missing, ","), "web", webDir)
}

// parseConfig reads flags, each with an environment variable as its
// default, so that a deployment can use either.
func parseConfig(args []string, getenv func(string) string) (server.Config, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	var cfg server.Config
	fs := flag.NewFlagSet("kaiconn-consent", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", env("KAICONN_ADDR", "localhost:8080"), "listen address (env KAICONN_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", env("KAICONN_DATA", "data"), "data directory for the SQLite store and keys (env KAICONN_DATA)")
	fs.StringVar(&cfg.DSN, "dsn", env("KAICONN_DSN", ""), "PostgreSQL DSN; empty uses SQLite in the data directory (env KAICONN_DSN)")
	fs.StringVar(&cfg.WebDir, "web", env("KAICONN_WEB", "web"), "directory holding app.wasm and wasm_exec.js (env KAICONN_WEB)")
	fs.StringVar(&cfg.UserAgreementURL, "user-agreement", env("KAICONN_USER_AGREEMENT_URL", "https://www.kaiconn.com/agreement"), "user agreement URL linked from the gate (env KAICONN_USER_AGREEMENT_URL)")
	fs.StringVar(&cfg.AdminToken, "admin-token", env("KAICONN_ADMIN_TOKEN", ""), "bearer token of GET /api/v1/export; empty disables the export (env KAICONN_ADMIN_TOKEN; prefer the environment, flags show in ps)")
	origins := fs.String("allowed-origins", env("KAICONN_ALLOWED_ORIGINS", ""), "comma-separated origins whose pages may call the receipt API (env KAICONN_ALLOWED_ORIGINS)")
	proxies := fs.String("trusted-proxies", env("KAICONN_TRUSTED_PROXIES", ""), "comma-separated CIDR prefixes of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (env KAICONN_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.CookieDomain, "cookie-domain", env("KAICONN_COOKIE_DOMAIN", ""), "Domain of the kc_consent cookie, e.g. kaiconn.com; empty for host-only (env KAICONN_COOKIE_DOMAIN)")
	bannerOrigins := fs.String("banner-origins", env("KAICONN_BANNER_ORIGINS", ""), "comma-separated site origins allowed to frame the banner (env KAICONN_BANNER_ORIGINS)")
	rate, err := strconv.Atoi(env("KAICONN_RATE_LIMIT", "0"))
	if err != nil {
		return cfg, fmt.Errorf("KAICONN_RATE_LIMIT: %w", err)
	}
	fs.IntVar(&cfg.RateLimit, "rate-limit", rate, "API requests per client IP per rate window; 0 for 120, negative for unlimited (env KAICONN_RATE_LIMIT)")
	ints := []struct {
		dst            *int
		flag, env, def string
		usage          string
	}{
		{&cfg.FormRateLimit, "form-rate-limit", "KAICONN_FORM_RATE_LIMIT", "0", "decisions posted (gate, settings, banner) per client IP per form rate window; 0 for 60, negative for unlimited"},
		{&cfg.FormSubjectRateLimit, "form-subject-rate-limit", "KAICONN_FORM_SUBJECT_RATE_LIMIT", "0", "decisions posted per subject (kc_sub) per form rate window; 0 for 10, negative for unlimited"},
	}
	for _, n := range ints {
		v, err := strconv.Atoi(env(n.env, n.def))
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", n.env, err)
		}
		fs.IntVar(n.dst, n.flag, v, n.usage+" (env "+n.env+")")
	}
	durations := []struct {
		dst            *time.Duration
		flag, env, def string
		usage          string
	}{
		{&cfg.RateWindow, "rate-window", "KAICONN_RATE_WINDOW", "1m", "the rate limit's window"},
		{&cfg.FormRateWindow, "form-rate-window", "KAICONN_FORM_RATE_WINDOW", "1m", "the form rate limits' window"},
		{&cfg.ConsentMaxAgeAccept, "consent-max-age-accept", "KAICONN_CONSENT_MAX_AGE_ACCEPT", "8760h", "lifetime of the consent cookie after accepting everything (365 days)"},
		{&cfg.ConsentMaxAgeReject, "consent-max-age-reject", "KAICONN_CONSENT_MAX_AGE_REJECT", "4368h", "lifetime of the consent cookie after refusing anything (182 days)"},
	}
	for _, d := range durations {
		v, err := time.ParseDuration(env(d.env, d.def))
		if err != nil {
			return cfg, fmt.Errorf("%s: %w", d.env, err)
		}
		fs.DurationVar(d.dst, d.flag, v, d.usage+" (env "+d.env+")")
	}
	if err := adminFlags(fs, env, &cfg.Admin); err != nil {
		return cfg, err
	}
	fs.StringVar(&cfg.ServiceToken, "service-token", env("KAICONN_SERVICE_TOKEN", ""), "bearer token of the account service, which erases subjects (DELETE /api/v1/subjects/{subject}); empty lets only devices erase (env KAICONN_SERVICE_TOKEN; prefer the environment)")
	retention := fs.String("retention", env("KAICONN_RETENTION", server.DefaultRetention.String()), "how long a subject's records are kept after its chain ended (erased, or everything withdrawn), a Go duration; 0 purges at once (env KAICONN_RETENTION)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	keep, err := parseRetention(*retention)
	if err != nil {
		return cfg, err
	}
	cfg.Retention = &keep
	cfg.AllowedOrigins = splitList(*origins)
	cfg.TrustedProxies = splitList(*proxies)
	cfg.BannerOrigins = splitList(*bannerOrigins)
	return cfg, nil
}

// splitList reads a comma-separated list, ignoring blanks.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
