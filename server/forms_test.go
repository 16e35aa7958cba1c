package server

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/appconsent"
	"github.com/kaiconn/consent/credential"
)

// formPost posts form to path from peer with headers, as a browser would.
func formPost(s *Server, path, peer string, form url.Values, header map[string]string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if peer != "" {
		r.RemoteAddr = peer
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

// decisionPosts are the three form posts that record a decision, each with a
// form it accepts.
var decisionPosts = []struct {
	path string
	form url.Values
}{
	{"/consent", url.Values{"lang": {"en"}, "action": {"decline"}}},
	{"/settings/privacy", url.Values{"lang": {"en"}, "action": {"save"}, "purpose": {"push"}}},
	{"/banner/consent", url.Values{"lang": {"en"}, "action": {"reject"}}},
}

// Form posts are protected like the API: only our own pages (and, for the
// banner, the configured site origins) may post a decision.
func TestFormOrigin(t *testing.T) {
	s := newBannerServer(t, func(c *Config) {
		c.BannerOrigins = []string{"https://www.kaiconn.com"}
		c.FormRateLimit, c.FormSubjectRateLimit = -1, -1
	})
	t.Cleanup(func() { s.Close() })
	self := "http://example.com" // httptest's Host
	for _, d := range decisionPosts {
		banner := d.path == "/banner/consent"
		for _, tt := range []struct {
			name   string
			header map[string]string
			ok     bool
		}{
			{"OKSameOrigin", map[string]string{"Origin": self}, true},
			{"OKNoBrowserHeaders", nil, true},
			{"OKSecFetchSameOrigin", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
			{"ErrForeignOrigin", map[string]string{"Origin": "https://evil.example"}, false},
			{"ErrForeignOriginEvenSameOriginFetch", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"}, false},
			{"ErrNullOrigin", map[string]string{"Origin": "null"}, false},
			{"ErrOtherScheme", map[string]string{"Origin": "https://example.com"}, false},
			{"ErrCrossSite", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
			{"ErrSameSite", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
			{"BannerOrigin", map[string]string{"Origin": "https://www.kaiconn.com"}, banner},
		} {
			t.Run(d.path+"/"+tt.name, func(t *testing.T) {
				w := formPost(s, d.path, "", d.form, tt.header)
				if tt.ok {
					assert.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
					return
				}
				assert.Equal(t, http.StatusForbidden, w.Code)
				assert.Empty(t, w.Result().Cookies(), "a refused post sets no cookie")
			})
		}
	}
	t.Run("ErrJSONForTheWasm", func(t *testing.T) {
		w := formPost(s, "/consent", "", decisionPosts[0].form, map[string]string{"Origin": "null", "Accept": "application/json"})
		assert.Equal(t, http.StatusForbidden, w.Code)
		assert.Contains(t, w.Body.String(), `"code":"forbidden"`)
	})
}

func TestFormRateLimit(t *testing.T) {
	t.Run("PerClientIP", func(t *testing.T) {
		s := newBannerServer(t, func(c *Config) { c.FormRateLimit, c.FormSubjectRateLimit, c.FormRateWindow = 2, -1, time.Hour })
		t.Cleanup(func() { s.Close() })
		for i, d := range decisionPosts {
			w := formPost(s, d.path, "198.51.100.7:1000", d.form, nil)
			if i < 2 {
				require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
				continue
			}
			assert.Equal(t, http.StatusTooManyRequests, w.Code, "one budget for the three forms")
			assert.Equal(t, "3600", w.Header().Get("Retry-After"))
			assert.Empty(t, w.Result().Cookies())
		}
		assert.Equal(t, http.StatusSeeOther, formPost(s, "/consent", "198.51.100.8:1000", decisionPosts[0].form, nil).Code, "another client has its own")
	})
	t.Run("PerSubject", func(t *testing.T) {
		s := newBannerServer(t, func(c *Config) { c.FormRateLimit, c.FormSubjectRateLimit, c.FormRateWindow = -1, 2, time.Hour })
		t.Cleanup(func() { s.Close() })
		first := formPost(s, "/banner/consent", "", decisionPosts[2].form, nil)
		require.Equal(t, http.StatusSeeOther, first.Code)
		sub := responseCookie(t, first, credential.SubjectCookie)
		// The same subject from ever new addresses.
		assert.Equal(t, http.StatusSeeOther, formPost(s, "/banner/consent", "203.0.113.1:1", decisionPosts[2].form, nil, sub).Code)
		assert.Equal(t, http.StatusSeeOther, formPost(s, "/consent", "203.0.113.2:1", decisionPosts[0].form, nil, sub).Code)
		assert.Equal(t, http.StatusTooManyRequests, formPost(s, "/consent", "203.0.113.3:1", decisionPosts[0].form, nil, sub).Code)
		assert.Equal(t, http.StatusSeeOther, formPost(s, "/consent", "203.0.113.3:1", decisionPosts[0].form, nil).Code,
			"a browser without a subject counts against its address only")
	})
	t.Run("BehindATrustedProxyTheClientIsForwarded", func(t *testing.T) {
		s := newBannerServer(t, func(c *Config) {
			c.FormRateLimit, c.FormSubjectRateLimit, c.FormRateWindow = 1, -1, time.Hour
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		})
		t.Cleanup(func() { s.Close() })
		via := func(client string) int {
			return formPost(s, "/consent", "10.1.2.3:443", decisionPosts[0].form, map[string]string{"X-Forwarded-For": client}).Code
		}
		assert.Equal(t, http.StatusSeeOther, via("198.51.100.1"))
		assert.Equal(t, http.StatusSeeOther, via("198.51.100.2"), "the proxy is not the client")
		assert.Equal(t, http.StatusTooManyRequests, via("198.51.100.1"))
	})
}

// Behind a trusted TLS proxy every cookie is Secure; a client that is no
// trusted proxy cannot claim TLS.
func TestSecureCookies(t *testing.T) {
	s := newBannerServer(t, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
		c.FormRateLimit = -1
	})
	t.Cleanup(func() { s.Close() })
	cookies := func(peer string, header map[string]string, tlsConn bool) []*http.Cookie {
		var all []*http.Cookie
		for _, d := range decisionPosts {
			r := httptest.NewRequest(http.MethodPost, d.path, strings.NewReader(d.form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.RemoteAddr = peer
			if tlsConn {
				r.TLS = &tls.ConnectionState{}
			}
			for k, v := range header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			require.Equal(t, http.StatusSeeOther, w.Code, "%s: %s", d.path, w.Body.String())
			all = append(all, w.Result().Cookies()...)
		}
		names := map[string]bool{}
		for _, c := range all {
			names[c.Name] = true
		}
		for _, n := range []string{credential.SubjectCookie, appconsent.CookieName, consentCookieName} {
			require.True(t, names[n], "%s is set", n)
		}
		return all
	}
	for _, tt := range []struct {
		name   string
		peer   string
		header map[string]string
		tls    bool
		secure bool
	}{
		{"TrustedProxySaysTLS", "10.0.0.5:443", map[string]string{"X-Forwarded-Proto": "https", "Origin": "https://example.com"}, false, true},
		{"DirectTLS", "198.51.100.1:443", nil, true, true},
		{"ErrClientClaimsTLS", "198.51.100.1:443", map[string]string{"X-Forwarded-Proto": "https"}, false, false},
		{"TrustedProxyPlainHTTP", "10.0.0.5:80", map[string]string{"X-Forwarded-Proto": "http"}, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range cookies(tt.peer, tt.header, tt.tls) {
				assert.Equal(t, tt.secure, c.Secure, c.Name)
			}
		})
	}
	t.Run("ErrUnsetProxyPrefix", func(t *testing.T) {
		_, err := openData(Config{DataDir: t.TempDir(), TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), {}}}, slog.New(slog.DiscardHandler))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "entry 2")
	})
}
