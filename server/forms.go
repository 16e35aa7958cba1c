package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/httprate"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/errs"
)

// Defaults of the form posts' rate limits. A person decides a handful of
// times a minute at most; mobile carriers put many people behind one
// address (carrier-grade NAT), so the per-address budget is wider than the
// per-subject one.
const (
	defaultFormRateLimit        = 60
	defaultFormSubjectRateLimit = 10
	defaultFormRateWindow       = time.Minute
)

// formGuard protects the form posts that record a decision (POST /consent,
// /settings/privacy, /banner/consent) as the API is protected: a post from a
// page of another origin is refused, and clients and subjects get a budget
// of posts per window.
type formGuard struct {
	s     *Server
	limit func(http.Handler) http.Handler // the rate limits
}

// checkProxies refuses, at start, a prefix that is not one: the zero
// netip.Prefix a caller left unset would otherwise trust nobody silently.
func checkProxies(prefixes []netip.Prefix) error {
	for i, p := range prefixes {
		if !p.IsValid() {
			return fmt.Errorf("trusted proxies: entry %d is not a valid prefix", i+1)
		}
	}
	return nil
}

// fromTrustedProxy tells whether the request's peer is one of
// Config.TrustedProxies: only then are its X-Forwarded-* headers believed.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	if len(s.cfg.TrustedProxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	return slices.ContainsFunc(s.cfg.TrustedProxies, func(p netip.Prefix) bool { return p.Contains(a) })
}

// isHTTPS tells whether the browser reached us over TLS: directly, or
// through a trusted proxy that says so in X-Forwarded-Proto. Every cookie's
// Secure flag is its answer; a client that is no trusted proxy cannot make
// a cookie insecure, nor pass off plain HTTP as TLS.
func (s *Server) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	return s.fromTrustedProxy(r) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// selfOrigin is the origin the request was made to.
func (s *Server) selfOrigin(r *http.Request) string {
	scheme := "http"
	if s.isHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// clientIP puts the client's address in the request's context
// (middleware.GetClientIP), as the rate limits key it: the connection's
// peer, or the address a trusted proxy forwarded.
func (s *Server) clientIP() func(http.Handler) http.Handler {
	return api.ClientIP(s.cfg.TrustedProxies)
}

// newFormGuard builds the rate limits of Config.
func (s *Server) newFormGuard() *formGuard {
	g := &formGuard{s: s}
	window := s.cfg.FormRateWindow
	if window <= 0 {
		window = defaultFormRateWindow
	}
	perIP, perSubject := s.cfg.FormRateLimit, s.cfg.FormSubjectRateLimit
	if perIP == 0 {
		perIP = defaultFormRateLimit
	}
	if perSubject == 0 {
		perSubject = defaultFormSubjectRateLimit
	}
	refuse := httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", strconv.Itoa(int(window.Seconds())))
		s.writeError(w, r, errs.New(errs.RateLimited, "too many decisions in a short time; please wait a minute and try again"))
	})
	chain := []func(http.Handler) http.Handler{s.clientIP()}
	if perIP > 0 {
		chain = append(chain, httprate.LimitBy(perIP, window, func(r *http.Request) (string, error) {
			return "ip:" + api.ClientKey(r), nil
		}, refuse))
	}
	if perSubject > 0 {
		// A subject is known only by its kc_sub cookie; a post without one
		// starts a new subject and counts against its address alone.
		bySubject := httprate.LimitBy(perSubject, window, func(r *http.Request) (string, error) {
			return "sub:" + s.cookieSubject(r), nil
		}, refuse)
		chain = append(chain, func(next http.Handler) http.Handler {
			limited := bySubject(next)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if s.cookieSubject(r) == "" {
					next.ServeHTTP(w, r)
					return
				}
				limited.ServeHTTP(w, r)
			})
		})
	}
	g.limit = func(h http.Handler) http.Handler {
		for i := len(chain) - 1; i >= 0; i-- {
			h = chain[i](h)
		}
		return h
	}
	return g
}

// protect wraps a decision's form post; banner is true for the cookie
// banner, which also takes posts from Config.BannerOrigins.
func (g *formGuard) protect(banner bool, h http.HandlerFunc) http.Handler {
	check := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.sameOrigin(r, banner) {
			// A page elsewhere must not be able to decide for a visitor.
			g.s.writeError(w, r, errs.New(errs.Forbidden, "cross-origin decision refused: only our own pages record a decision"))
			return
		}
		h(w, r)
	})
	return g.limit(check)
}

// sameOrigin reports whether a form post came from our own pages. Browsers
// send Origin with every POST; "null" (a sandboxed frame, a data: URL, a
// redirect across origins) is no origin of ours. Without Origin,
// Sec-Fetch-Site says where the request came from. Clients that send
// neither (curl, tests) are not browsers carrying a visitor's cookies, so
// they are let through.
func (g *formGuard) sameOrigin(r *http.Request, banner bool) bool {
	if o := r.Header.Get("Origin"); o != "" {
		if o == g.s.selfOrigin(r) {
			return true
		}
		return banner && o != "null" && slices.Contains(g.s.cfg.BannerOrigins, o)
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

// proxyList is Config.TrustedProxies as text, for the console's page of
// settings.
func (c Config) proxyList() []string { return api.PrefixStrings(c.TrustedProxies) }
