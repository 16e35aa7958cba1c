//go:build !wasm

package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kaiconn/consent/server"
)

// option is one setting an operator can make. The table options below is
// the only place a setting is named: parseConfig reads the flags and the
// environment from it, -help prints it, and the README's configuration
// table is generated from it (kaiconn-consent config-table, make generate),
// so that the three cannot disagree.
type option struct {
	flag string // the flag's name, without the dash
	env  string // its environment variable
	def  string // the default, in the form the flag takes
	// what says what the setting does, in Markdown (the README's table
	// shows it as it is; -help shows it without backquotes).
	what string
	// set parses and checks a value and stores it in the configuration;
	// its error says what a good value looks like, and the caller names
	// the flag or variable the value came from.
	set func(c *server.Config, v string) error
}

// options is every setting of the server, in the order the README lists
// them.
var options = []option{
	{"addr", "KAICONN_ADDR", "localhost:8080", "listen address (`make run ADDR=:9000`)",
		text(func(c *server.Config) *string { return &c.Addr })},
	{"data", "KAICONN_DATA", "data", "data directory (0700), created on first run: `kaiconn.db` (SQLite, 0600), `keys/` (server signing keys), `consent-cookie.key`. Back it up whole: once the store holds receipts, the server refuses to start without the keys that countersigned them (it never mints a new key then)",
		text(func(c *server.Config) *string { return &c.DataDir })},
	{"dsn", "KAICONN_DSN", "", "PostgreSQL DSN (e.g. `postgres://user@host/db`); empty uses the embedded SQLite file",
		optionalText(func(c *server.Config) *string { return &c.DSN })},
	{"web", "KAICONN_WEB", "web", "directory holding the built `app.wasm` (and `.br`, `.gz`) and `wasm_exec.js`",
		text(func(c *server.Config) *string { return &c.WebDir })},
	{"user-agreement", "KAICONN_USER_AGREEMENT_URL", "https://www.kaiconn.com/agreement", "user agreement linked from the gate (an `http` or `https` URL)",
		webURL(func(c *server.Config) *string { return &c.UserAgreementURL })},
	{"admin-token", "KAICONN_ADMIN_TOKEN", "", "bearer token of the NDJSON export; empty disables it. Prefer the environment (flags show in `ps`)",
		optionalText(func(c *server.Config) *string { return &c.AdminToken })},
	{"allowed-origins", "KAICONN_ALLOWED_ORIGINS", "", "comma-separated origins (`scheme://host[:port]`) whose pages may call the receipt API cross-origin (our own needs none); an app's own URL scheme too (`kaiconn-bundle://app`), where its webview shows the app bundle ([bundle.md](docs/bundle.md))",
		appOrigins(func(c *server.Config) *[]string { return &c.AllowedOrigins })},
	{"rate-limit", "KAICONN_RATE_LIMIT", "120", "API requests per client IP per `-rate-window` (negative: unlimited)",
		limit(func(c *server.Config) *int { return &c.RateLimit })},
	{"rate-window", "KAICONN_RATE_WINDOW", "1m", "the window of `-rate-limit`",
		duration(func(c *server.Config) *time.Duration { return &c.RateWindow })},
	{"form-rate-limit", "KAICONN_FORM_RATE_LIMIT", "60", "decisions posted (`POST /consent`, `/settings/privacy`, `/banner/consent`) per client IP per `-form-rate-window` (negative: unlimited); wider than the per-subject budget because carriers put many people behind one address",
		limit(func(c *server.Config) *int { return &c.FormRateLimit })},
	{"form-subject-rate-limit", "KAICONN_FORM_SUBJECT_RATE_LIMIT", "10", "decisions posted per subject (`kc_sub`) per `-form-rate-window` (negative: unlimited)",
		limit(func(c *server.Config) *int { return &c.FormSubjectRateLimit })},
	{"form-rate-window", "KAICONN_FORM_RATE_WINDOW", "1m", "the window of the form rate limits",
		duration(func(c *server.Config) *time.Duration { return &c.FormRateWindow })},
	{"trusted-proxies", "KAICONN_TRUSTED_PROXIES", "", "comma-separated CIDR prefixes or single addresses (`10.0.0.0/8,127.0.0.1`) of reverse proxies whose `X-Forwarded-For` (client IP for the rate limits) and `X-Forwarded-Proto` (TLS: every cookie is then `Secure`) are believed; from any other peer both are ignored",
		func(c *server.Config, v string) (err error) {
			c.TrustedProxies, err = parsePrefixes(v)
			return err
		}},
	{"cookie-domain", "KAICONN_COOKIE_DOMAIN", "", "`Domain` of the banner's `kc_consent` cookie, e.g. `kaiconn.com` so consent.kaiconn.com and www.kaiconn.com share it; empty: host-only",
		optionalText(func(c *server.Config) *string { return &c.CookieDomain })},
	{"consent-max-age-accept", "KAICONN_CONSENT_MAX_AGE_ACCEPT", "8760h", "lifetime of `kc_consent` after accepting everything (365 days)",
		duration(func(c *server.Config) *time.Duration { return &c.ConsentMaxAgeAccept })},
	{"consent-max-age-reject", "KAICONN_CONSENT_MAX_AGE_REJECT", "4368h", "lifetime of `kc_consent` after refusing anything (182 days)",
		duration(func(c *server.Config) *time.Duration { return &c.ConsentMaxAgeReject })},
	{"banner-origins", "KAICONN_BANNER_ORIGINS", "", "comma-separated site origins (`scheme://host[:port]`) whose pages run the banner: they may ask for tickets and post choices (credentialed CORS) and frame `/banner`",
		origins(func(c *server.Config) *[]string { return &c.BannerOrigins })},
	{"admin-lockout-attempts", "KAICONN_ADMIN_LOCKOUT_ATTEMPTS", "5", "failed console sign-ins in a row that lock a name out for one client address",
		positive(func(c *server.Config) *int { return &c.Admin.LockoutAttempts })},
	{"admin-lockout-duration", "KAICONN_ADMIN_LOCKOUT_DURATION", "15m", "how long a console lock-out first lasts; each next one of the same name and address lasts twice as long, up to a day",
		duration(func(c *server.Config) *time.Duration { return &c.Admin.LockoutDuration })},
	{"admin-session", "KAICONN_ADMIN_SESSION", "8h", "how long a console sign-in lasts",
		duration(func(c *server.Config) *time.Duration { return &c.Admin.SessionLifetime })},
	{"service-token", "KAICONN_SERVICE_TOKEN", "", "bearer token of the account service, which erases a cancelled account's subject (`DELETE /api/v1/subjects/{subject}`); empty lets only the person's device erase. Prefer the environment",
		optionalText(func(c *server.Config) *string { return &c.ServiceToken })},
	{"retention", "KAICONN_RETENTION", "26280h", "how long a subject's records are kept after its chain ended (erased, or everything withdrawn): three years, the PRC Civil Code's limitation period; `0` deletes at once; then only tombstones remain ([operations.md](docs/operations.md#retention-and-purge))",
		func(c *server.Config, v string) error {
			d, err := parseRetention(v)
			if err != nil {
				return err
			}
			c.Retention = &d
			return nil
		}},
}

// parseConfig reads the settings named in options: each flag's default is
// its environment variable, or the table's default when that is unset, so
// that a deployment can use either and a flag wins. Every value is parsed
// and checked here, once; a bad one stops the program with a message
// naming the flag or variable and the value.
func parseConfig(args []string, getenv func(string) string) (server.Config, error) {
	var cfg server.Config
	fs := flag.NewFlagSet("kaiconn-consent", flag.ContinueOnError)
	if err := register(fs, &cfg, getenv, options); err != nil {
		return cfg, err
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() != 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return cfg, nil
}

// register sets cfg to the defaults and environment of opts, then adds
// their flags to fs.
func register(fs *flag.FlagSet, cfg *server.Config, getenv func(string) string, opts []option) error {
	for _, o := range opts {
		v, from := o.def, "the default of -"+o.flag
		if e := getenv(o.env); e != "" {
			v, from = e, o.env
		}
		if err := o.set(cfg, v); err != nil {
			return fmt.Errorf("%s: %q: %w", from, v, err)
		}
		fs.Func(o.flag, o.usage(), func(v string) error { return o.set(cfg, v) })
	}
	return nil
}

// usage is the option's line in -help: plain text, since the flag package
// would take a back-quoted word for the name of the flag's argument.
func (o option) usage() string {
	def := o.def
	if def == "" {
		def = "empty"
	}
	return strings.ReplaceAll(o.what, "`", "") + " (default " + def + "; env " + o.env + ")"
}

// pick returns the options with the given flag names, in that order: the
// admin command reads the store's settings from the same table.
func pick(names ...string) []option {
	var out []option
	for _, n := range names {
		for _, o := range options {
			if o.flag == n {
				out = append(out, o)
			}
		}
	}
	return out
}

// writeConfigTable writes the README's configuration table.
func writeConfigTable(w io.Writer) error {
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	var b strings.Builder
	b.WriteString("| flag | environment | default | what |\n|---|---|---|---|\n")
	for _, o := range options {
		def := "(empty)"
		if o.def != "" {
			def = "`" + o.def + "`"
		}
		fmt.Fprintf(&b, "| `-%s` | `%s` | %s | %s |\n", o.flag, o.env, cell(def), cell(o.what))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// The parsers of the table. Each takes where the value goes.

func text(dst func(*server.Config) *string) func(*server.Config, string) error {
	return func(c *server.Config, v string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("must not be empty")
		}
		*dst(c) = v
		return nil
	}
}

func optionalText(dst func(*server.Config) *string) func(*server.Config, string) error {
	return func(c *server.Config, v string) error {
		*dst(c) = strings.TrimSpace(v)
		return nil
	}
}

func webURL(dst func(*server.Config) *string) func(*server.Config, string) error {
	return func(c *server.Config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("must be an http or https URL")
		}
		*dst(c) = v
		return nil
	}
}

// limit is a rate limit: a positive count, or a negative one for none. Zero
// is refused rather than guessed at: it could mean "none" or "nothing".
func limit(dst func(*server.Config) *int) func(*server.Config, string) error {
	return func(c *server.Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("must be a whole number (negative for unlimited)")
		}
		if n == 0 {
			return fmt.Errorf("must not be 0: give a positive limit, or a negative number for unlimited")
		}
		*dst(c) = n
		return nil
	}
}

func positive(dst func(*server.Config) *int) func(*server.Config, string) error {
	return func(c *server.Config, v string) error {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return fmt.Errorf("must be a whole number of at least 1")
		}
		*dst(c) = n
		return nil
	}
}

func duration(dst func(*server.Config) *time.Duration) func(*server.Config, string) error {
	return func(c *server.Config, v string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d <= 0 {
			return fmt.Errorf("must be a positive duration such as 90s, 15m or 8h")
		}
		*dst(c) = d
		return nil
	}
}

// origins reads a comma-separated list of origins. An origin is compared
// with a browser's Origin header as it is, so a path, a trailing slash or
// a missing scheme would never match: they are refused here instead.
func origins(dst func(*server.Config) *[]string) func(*server.Config, string) error {
	return originsOf(dst, func(scheme string) bool { return scheme == "http" || scheme == "https" })
}

// appOrigins is origins for the callers of the receipt API, which include
// an app's webview serving the app bundle under the app's own URL scheme
// (iOS: WKURLSchemeHandler); schemes that name no origin of a page of
// ours are still refused.
func appOrigins(dst func(*server.Config) *[]string) func(*server.Config, string) error {
	return originsOf(dst, func(scheme string) bool {
		switch scheme {
		case "file", "data", "blob", "javascript", "about", "filesystem":
			return false
		}
		return true
	})
}

func originsOf(dst func(*server.Config) *[]string, schemeOK func(string) bool) func(*server.Config, string) error {
	return func(c *server.Config, v string) error {
		var out []string
		for _, o := range splitList(v) {
			u, err := url.Parse(o)
			if err != nil || !schemeOK(u.Scheme) || u.Host == "" ||
				u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
				return fmt.Errorf("%q is not an origin: write scheme://host[:port], with no path or trailing slash", o)
			}
			out = append(out, o)
		}
		*dst(c) = out
		return nil
	}
}

// parsePrefixes reads a comma-separated list of CIDR prefixes and single
// addresses; an address is the prefix of that address alone (/32 or /128).
func parsePrefixes(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range splitList(v) {
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("%q is neither a CIDR prefix (10.0.0.0/8) nor an IP address (127.0.0.1)", item)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
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
