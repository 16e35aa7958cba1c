package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/banner"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/receipt"
)

func newBannerServer(t *testing.T, mutate ...func(*Config)) *Server {
	t.Helper()
	cfg := Config{WebDir: t.TempDir(),
		CatalogueFS: localestest.Catalogues(t, localestest.Base), PolicyFS: localestest.Policy(t, localestest.Base)}
	for _, f := range mutate {
		f(&cfg)
	}
	return openMem(t, cfg, slog.New(slog.DiscardHandler))
}

func get(t *testing.T, s *Server, target string, headers map[string]string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

func post(t *testing.T, s *Server, form url.Values, headers map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/banner/consent", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

func responseCookie(t *testing.T, w *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", name, w.Header()["Set-Cookie"])
	return nil
}

// consentCookieName is kc_consent, the banner's cookie.
const consentCookieName = banner.CookieName

// bannerKey is the key the server signs kc_consent with.
func bannerKey(t *testing.T, s *Server) cookieKeys {
	t.Helper()
	return s.newCookieKeys(banner.CookieName)
}

func TestBannerPage(t *testing.T) {
	s := newBannerServer(t)
	t.Run("FirstLayer", func(t *testing.T) {
		w := get(t, s, "/banner?lang=en", nil)
		require.Equal(t, http.StatusOK, w.Code)
		body := w.Body.String()
		// Accept all and Reject all post without any script; Customise is
		// the same button in a form that loads the second layer.
		assert.Regexp(t, `<form method="post" action="/banner/consent" class="kc-action">.*<button type="submit" name="action" value="accept" id="kc-accept" class="kc-btn">Accept all</button>`, body)
		assert.Contains(t, body, `<button type="submit" name="action" value="reject" id="kc-reject" class="kc-btn">Reject all</button>`)
		assert.Contains(t, body, `<button type="submit" id="kc-customise" class="kc-btn">Customise</button>`)
		assert.Contains(t, body, `href="/privacy?lang=en#s2-1"`)
		assert.NotContains(t, body, `id="kc-gpc"`)
		assert.Empty(t, w.Result().Cookies(), "showing the banner stores nothing, not even the language")
		assert.NotContains(t, body, "boot.js", "the banner never loads the wasm")
	})
	t.Run("Chinese", func(t *testing.T) {
		body := get(t, s, "/banner?lang=zh-CN", nil).Body.String()
		assert.Contains(t, body, `<html lang="zh-Hans"`)
		assert.Contains(t, body, "全部接受")
		assert.Contains(t, body, "全部拒绝")
	})
	t.Run("SecondLayerNothingTicked", func(t *testing.T) {
		body := get(t, s, "/banner?lang=en&layer=2", nil).Body.String()
		assert.Contains(t, body, `<input type="checkbox" name="cat" value="necessary" checked disabled role="switch"`)
		assert.Contains(t, body, `<input type="checkbox" name="cat" value="preferences" id="kc-cat-preferences" role="switch"`)
		assert.Contains(t, body, `<input type="checkbox" name="cat" value="analytics" id="kc-cat-analytics" role="switch"`)
		assert.Contains(t, body, `value="save"`)
		assert.NotContains(t, body, "boot.js", "the second layer is server-rendered, without the wasm")
		// The first layer's order, Save where Customise was.
		assert.Regexp(t, `(?s)id="kc-accept".*id="kc-reject".*id="kc-save"`, body)
	})
	t.Run("GPCHeader", func(t *testing.T) {
		w := get(t, s, "/banner?lang=en", map[string]string{"Sec-GPC": "1"})
		assert.Contains(t, w.Body.String(), `id="kc-gpc"`)
		assert.Contains(t, w.Body.String(), "Global Privacy Control")
		assert.Empty(t, w.Result().Cookies(), "GPC stores nothing until the person acts")
		assert.Contains(t, get(t, s, "/banner?lang=en&layer=2", map[string]string{"Sec-GPC": "1"}).Body.String(),
			`<input type="checkbox" name="cat" value="analytics" id="kc-cat-analytics" role="switch"`, "analytics starts refused")
	})
}

func TestBannerDecide(t *testing.T) {
	s := newBannerServer(t, func(c *Config) { c.CookieDomain = "kaiconn.com" })
	key := bannerKey(t, s)
	for _, tt := range []struct {
		name    string
		form    url.Values
		granted string
		maxAge  time.Duration
	}{
		{"AcceptAll", url.Values{"action": {"accept"}}, "necessary_preferences_analytics", 365 * 24 * time.Hour},
		{"RejectAll", url.Values{"action": {"reject"}}, "necessary", 182 * 24 * time.Hour},
		{"SaveAnalytics", url.Values{"action": {"save"}, "cat": {"analytics", "necessary"}}, "necessary_analytics", 182 * 24 * time.Hour},
		{"SaveAll", url.Values{"action": {"save"}, "cat": {"analytics", "preferences"}}, "necessary_preferences_analytics", 365 * 24 * time.Hour},
		{"SaveNothing", url.Values{"action": {"save"}}, "necessary", 182 * 24 * time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("lang", "en")
			w := post(t, s, tt.form, map[string]string{"Origin": "http://example.com"})
			require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
			c := responseCookie(t, w, consentCookieName)
			assert.Equal(t, int(tt.maxAge/time.Second), c.MaxAge)
			assert.Equal(t, "kaiconn.com", c.Domain)
			assert.Equal(t, "/", c.Path)
			assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
			assert.False(t, c.HttpOnly, "embed.js must read it")
			assert.False(t, c.Secure, "plain HTTP")
			parsed, err := banner.ParseCookie(c.Value, key)
			require.NoError(t, err)
			assert.Equal(t, tt.granted, strings.Split(c.Value, ".")[2])
			assert.Equal(t, localestest.Base, parsed.PolicyVersion)
			loc, err := url.Parse(w.Header().Get("Location"))
			require.NoError(t, err)
			assert.Equal(t, "/banner", loc.Path)
			assert.Equal(t, "done", loc.Query().Get("layer"))
		})
	}
	t.Run("SecureOnlyBehindATrustedProxy", func(t *testing.T) {
		// httptest's peer is 192.0.2.1.
		w := post(t, s, url.Values{"action": {"accept"}}, map[string]string{"X-Forwarded-Proto": "https"})
		assert.False(t, responseCookie(t, w, consentCookieName).Secure, "a client is no proxy: its X-Forwarded-Proto is not believed")
		behind := newBannerServer(t, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")} })
		w = post(t, behind, url.Values{"action": {"accept"}}, map[string]string{"X-Forwarded-Proto": "https", "Origin": "https://example.com"})
		assert.True(t, responseCookie(t, w, consentCookieName).Secure)
	})
	t.Run("ConfiguredLifetimes", func(t *testing.T) {
		s := newBannerServer(t, func(c *Config) { c.ConsentMaxAgeAccept = 48 * time.Hour; c.ConsentMaxAgeReject = time.Hour })
		assert.Equal(t, 48*3600, responseCookie(t, post(t, s, url.Values{"action": {"accept"}}, nil), consentCookieName).MaxAge)
		assert.Equal(t, 3600, responseCookie(t, post(t, s, url.Values{"action": {"reject"}}, nil), consentCookieName).MaxAge)
	})
	for _, tt := range []struct {
		name    string
		form    url.Values
		headers map[string]string
		status  int
	}{
		{"ErrAction", url.Values{"action": {"maybe"}}, nil, http.StatusBadRequest},
		{"ErrUnknownCategory", url.Values{"action": {"save"}, "cat": {"marketing"}}, nil, http.StatusUnprocessableEntity},
		{"ErrCrossOrigin", url.Values{"action": {"accept"}}, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"ErrCrossSite", url.Values{"action": {"accept"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := post(t, s, tt.form, tt.headers)
			assert.Equal(t, tt.status, w.Code)
			assert.Empty(t, w.Result().Cookies(), "a refused post sets no cookie")
		})
	}
}

func TestBannerReadsTheCookie(t *testing.T) {
	s := newBannerServer(t)
	accepted := responseCookie(t, post(t, s, url.Values{"action": {"accept"}}, nil), consentCookieName)
	other := newBannerServer(t)
	foreign := responseCookie(t, post(t, other, url.Values{"action": {"accept"}}, nil), consentCookieName)

	t.Run("ValidShowsTheDecision", func(t *testing.T) {
		w := get(t, s, "/banner?lang=en", nil, &http.Cookie{Name: consentCookieName, Value: accepted.Value})
		assert.Contains(t, w.Body.String(), `data-layer="done"`)
		assert.Contains(t, w.Body.String(), `data-kc-decision="`+accepted.Value+`"`)
		assert.NotContains(t, w.Body.String(), `id="kc-accept"`)
	})
	t.Run("ValidButOpenedByThePerson", func(t *testing.T) {
		w := get(t, s, "/banner?lang=en&open=1", nil, &http.Cookie{Name: consentCookieName, Value: accepted.Value})
		assert.Contains(t, w.Body.String(), `id="kc-accept"`)
	})
	for _, tt := range []struct{ name, value string }{
		{"TamperedShowsTheBannerAgain", strings.Replace(accepted.Value, "necessary_preferences_analytics", "necessary_analytics", 1)},
		{"OtherKeyShowsTheBannerAgain", foreign.Value},
		{"GarbageShowsTheBannerAgain", "yes"},
		{"OldPolicyShowsTheBannerAgain", banner.Cookie{PolicyVersion: "2021-01", Granted: []consent.PurposeID{"necessary"}, At: time.Now(), ReceiptID: "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"}.Encode(bannerKey(t, s))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, s, "/banner?lang=en", nil, &http.Cookie{Name: consentCookieName, Value: tt.value})
			assert.Contains(t, w.Body.String(), `data-layer="first"`)
			assert.Contains(t, w.Body.String(), `id="kc-accept"`)
			assert.NotContains(t, w.Body.String(), "data-kc-decision")
			c := responseCookie(t, w, consentCookieName)
			assert.Less(t, c.MaxAge, 0, "the untrusted cookie is deleted")

			var st banner.State
			sw := get(t, s, "/banner/state", nil, &http.Cookie{Name: consentCookieName, Value: tt.value})
			require.NoError(t, json.Unmarshal(sw.Body.Bytes(), &st))
			assert.False(t, st.Decided)
			assert.True(t, st.CookieSent)
			assert.False(t, st.Categories["analytics"], "never consent from an untrusted cookie")
			assert.Equal(t, "denied", st.ConsentMode["analytics_storage"])
		})
	}
	t.Run("State", func(t *testing.T) {
		var st banner.State
		w := get(t, s, "/banner/state", nil, &http.Cookie{Name: consentCookieName, Value: accepted.Value})
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &st))
		assert.True(t, st.Decided)
		assert.True(t, st.Categories["analytics"])
		assert.Equal(t, "granted", st.ConsentMode["analytics_storage"])
		assert.Equal(t, "denied", st.ConsentMode["ad_storage"])
		assert.Equal(t, strings.Split(accepted.Value, ".")[4], st.ReceiptID)
	})
}

func TestBannerFraming(t *testing.T) {
	s := newBannerServer(t, func(c *Config) { c.BannerOrigins = []string{"https://www.kaiconn.com"} })
	t.Run("ConfiguredOrigin", func(t *testing.T) {
		w := get(t, s, "/banner?embed=1&origin="+url.QueryEscape("https://www.kaiconn.com"), nil)
		assert.Contains(t, w.Header().Get("Content-Security-Policy"), "frame-ancestors 'self' https://www.kaiconn.com")
		assert.Contains(t, w.Body.String(), `data-kc-parent-origin="https://www.kaiconn.com"`)
		assert.NotContains(t, get(t, s, "/privacy", nil).Header().Get("Content-Security-Policy"), "www.kaiconn.com", "only the banner is widened")
	})
	t.Run("UnknownOriginGetsNoMessages", func(t *testing.T) {
		w := get(t, s, "/banner?embed=1&origin="+url.QueryEscape("https://evil.example"), nil)
		assert.NotContains(t, w.Body.String(), "data-kc-parent-origin")
	})
}

func TestEmbedJS(t *testing.T) {
	s := newBannerServer(t)
	w := get(t, s, "/embed.js", nil)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "text/javascript; charset=utf-8", w.Header().Get("Content-Type"))
	assert.Equal(t, "*", w.Header().Get("Access-Control-Allow-Origin"))
	assert.Contains(t, w.Header().Get("Cache-Control"), "max-age=3600")
	body := w.Body.String()
	assert.NotContains(t, body, "KC_CONFIG", "the config marker is replaced")
	// The script is minified, so its copy of the config is a JavaScript
	// object literal rather than JSON: read the config from /banner/config,
	// which serves the same value, and find its texts in the script.
	var c banner.EmbedConfig
	require.NoError(t, json.Unmarshal(get(t, s, "/banner/config", nil).Body.Bytes(), &c))
	for _, inlined := range []string{`"` + localestest.Base + `"`, `"_ga_*"`, `"全部拒绝"`, `"/privacy?lang=zh-Hans#s2-1"`, `"analytics_storage"`} {
		assert.Contains(t, body, inlined, "the config is inlined")
	}
	assert.Equal(t, localestest.Base, c.Version)
	require.Len(t, c.Categories, 3)
	assert.Equal(t, []string{"necessary", "preferences", "analytics"}, []string{string(c.Categories[0].ID), string(c.Categories[1].ID), string(c.Categories[2].ID)})
	assert.Contains(t, c.Categories[2].Cookies, "_ga")
	assert.Equal(t, []string{"analytics_storage"}, c.Categories[2].ConsentMode)
	assert.Equal(t, "Accept all", c.Text["en"].Accept)
	assert.Equal(t, "全部拒绝", c.Text["zh-Hans"].Reject, "both languages, so the first layer needs no request")
	assert.Equal(t, "/privacy?lang=zh-Hans#s2-1", c.Text["zh-Hans"].PolicyURL)
	assert.Equal(t, [2]int{365 * 24 * 3600, 182 * 24 * 3600}, c.MaxAge)
	assert.NotContains(t, body, "\n  ", "served without indentation")
	assert.NotContains(t, body, "// ", "served without comments")

	t.Run("SmallerThan10KBGzip", func(t *testing.T) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(w.Body.Bytes())
		require.NoError(t, zw.Close())
		t.Logf("embed.js: %d bytes raw, %d bytes gzip", w.Body.Len(), buf.Len())
		assert.LessOrEqual(t, buf.Len(), 10*1024)
	})
	t.Run("Revalidates", func(t *testing.T) {
		nw := get(t, s, "/embed.js", map[string]string{"If-None-Match": w.Header().Get("ETag")})
		assert.Equal(t, http.StatusNotModified, nw.Code)
	})
}

func TestDemoPage(t *testing.T) {
	s := newBannerServer(t)
	w := get(t, s, "/demo?lang=zh-Hans", nil)
	require.Equal(t, http.StatusOK, w.Code)
	csp := w.Header().Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`'nonce-([^']+)'`).FindStringSubmatch(csp)
	require.Len(t, nonce, 2)
	body := w.Body.String()
	assert.Contains(t, body, `<script type="text/plain" data-consent-category="analytics" nonce="`+nonce[1]+`">`)
	assert.Contains(t, body, `<script src="/embed.js" async data-lang="zh-Hans"></script>`)
	assert.Regexp(t, `data-src="/static/demo-analytics\.[0-9a-f]{12}\.js"`, body, "content-hashed (docs/assets.md)")
	assert.Less(t, strings.Index(body, "/static/demo-gtag."), strings.Index(body, "/embed.js"), "gtag is defined before embed.js runs")
}

// A banner choice joins the browser's subject through kc_sub, and through
// nothing else: the receipt id in kc_consent is readable by any script on
// the site and names no credential.
func TestBannerSubject(t *testing.T) {
	s := newBannerServer(t)
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	key := bannerKey(t, s)
	stored := func(t *testing.T, w *httptest.ResponseRecorder) receipt.Record {
		t.Helper()
		require.Equal(t, http.StatusSeeOther, w.Code, w.Body.String())
		c, err := banner.ParseCookie(responseCookie(t, w, consentCookieName).Value, key)
		require.NoError(t, err)
		rec, err := s.store.Get(ctx, c.ReceiptID)
		require.NoError(t, err)
		return rec
	}
	postAs := func(form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/banner/consent", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		return w
	}

	first := postAs(url.Values{"action": {"accept"}, "lang": {"en"}})
	rec1 := stored(t, first)
	sub := responseCookie(t, first, credential.SubjectCookie)
	assert.True(t, sub.HttpOnly, "no script reads the subject credential")
	assert.Equal(t, http.SameSiteLaxMode, sub.SameSite)
	assert.Empty(t, sub.Domain, "host-only")
	env, err := receipt.Decode(rec1.Body)
	require.NoError(t, err)
	assert.Equal(t, receipt.SchemaV3, env.Receipt.Schema)
	assert.Equal(t, receipt.SurfaceWebBanner, env.Receipt.Surface)

	t.Run("OKJoinsThroughKcSub", func(t *testing.T) {
		rec := stored(t, postAs(url.Values{"action": {"reject"}, "lang": {"en"}}, sub))
		assert.Equal(t, rec1.Subject, rec.Subject)
		assert.Equal(t, rec1.Hash, rec.PrevHash)
		assert.Equal(t, receipt.DecisionWithdrawn, rec.Decision, "takes back what the chain's head gave")
		assert.Equal(t, receipt.StateWithdrawn, rec.States["analytics"])
	})
	t.Run("ErrConsentCookieJoinsNothing", func(t *testing.T) {
		rec := stored(t, postAs(url.Values{"action": {"reject"}, "lang": {"en"}}, responseCookie(t, first, consentCookieName)))
		assert.NotEqual(t, rec1.Subject, rec.Subject)
		assert.Equal(t, receipt.DecisionDeclined, rec.Decision)
	})
	t.Run("OKTicketFromThePage", func(t *testing.T) {
		page := get(t, s, "/banner?lang=en", nil)
		m := regexp.MustCompile(`name="ticket" value="([^"]+)"`).FindStringSubmatch(page.Body.String())
		require.Len(t, m, 2, "the forms carry the page's ticket")
		tk, err := s.creds.ParseTicket(m[1], time.Now())
		require.NoError(t, err)
		assert.NotContains(t, page.Body.String(), "ticket="+m[1], "never in a URL")
		rec := stored(t, postAs(url.Values{"action": {"accept"}, "lang": {"en"}, "ticket": {m[1]}}))
		assert.Equal(t, tk.ReceiptID, rec.ID)
	})
}

// bannerJSON posts a choice as embed.js does in the background: a form
// body, Accept: application/json, with the browser's cookies.
func bannerJSON(t *testing.T, s *Server, form url.Values, origin string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/banner/consent", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", "application/json")
	if origin != "" {
		r.Header.Set("Origin", origin)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

func bannerTicketOf(t *testing.T, s *Server, origin string, cookies ...*http.Cookie) (banner.Ticket, *httptest.ResponseRecorder) {
	t.Helper()
	h := map[string]string{}
	if origin != "" {
		h["Origin"] = origin
	}
	w := get(t, s, "/banner/ticket", h, cookies...)
	var tk banner.Ticket
	if w.Code == http.StatusOK {
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &tk))
	}
	return tk, w
}

// GET /banner/ticket: a ticket and the signed cookie of every possible
// choice under it, for our own pages and the site's origins only.
func TestBannerTicket(t *testing.T) {
	const site = "https://www.kaiconn.com"
	s := newBannerServer(t, func(c *Config) { c.BannerOrigins = []string{site} })
	key := bannerKey(t, s)

	t.Run("OKPresignsEveryChoice", func(t *testing.T) {
		tk, w := bannerTicketOf(t, s, site)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, site, w.Header().Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "true", w.Header().Get("Access-Control-Allow-Credentials"))
		assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
		assert.Empty(t, w.Result().Cookies(), "asking for a ticket stores nothing")
		parsed, err := s.creds.ParseTicket(tk.Ticket, time.Now())
		require.NoError(t, err)
		assert.Equal(t, parsed.ReceiptID, tk.Receipt)
		assert.True(t, parsed.MintedAt.Equal(tk.At))
		keys := make([]string, 0, len(tk.Cookies))
		for k, v := range tk.Cookies {
			keys = append(keys, k)
			c, err := banner.ParseCookie(v, key)
			require.NoError(t, err, k)
			assert.Equal(t, k, strings.Join(idStrings(c.Granted), "_"))
			assert.Equal(t, tk.Receipt, c.ReceiptID)
			assert.Equal(t, tk.At.Unix(), c.At.Unix(), "the cookie's time is when the banner was shown")
			_, err = banner.DecisionFromCookie(s.catalogues[s.policies.Latest().ID], c, "en")
			assert.NoError(t, err, k)
		}
		assert.ElementsMatch(t, []string{"necessary", "necessary_preferences", "necessary_analytics", "necessary_preferences_analytics"}, keys)
	})
	t.Run("OKSameOriginWithoutOrigin", func(t *testing.T) {
		_, w := bannerTicketOf(t, s, "")
		assert.Equal(t, http.StatusOK, w.Code)
		assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
	})
	t.Run("OKForTheBrowsersSubject", func(t *testing.T) {
		first := post(t, s, url.Values{"action": {"accept"}}, nil)
		sub := responseCookie(t, first, credential.SubjectCookie)
		tk, _ := bannerTicketOf(t, s, site, sub)
		parsed, err := s.creds.ParseTicket(tk.Ticket, time.Now())
		require.NoError(t, err)
		subject, err := s.creds.ParseSubject(sub.Value)
		require.NoError(t, err)
		assert.Equal(t, subject, parsed.Subject)
	})
	t.Run("ErrForeignOrigin", func(t *testing.T) {
		_, w := bannerTicketOf(t, s, "https://evil.example")
		assert.Equal(t, http.StatusForbidden, w.Code)
		assert.Equal(t, "https://evil.example", w.Header().Get("Access-Control-Allow-Origin"), "embed.js there reads the refusal and stops asking")
		assert.Contains(t, w.Body.String(), `"code":"forbidden"`)
		assert.NotContains(t, w.Body.String(), "t1.", "no ticket")
		assert.NotContains(t, w.Body.String(), "v1.", "no cookie")
	})
}

// A choice embed.js posts in the background: recorded under the ticket's
// id with the very cookie the ticket pre-signed, answered as JSON to the
// site's origins, and idempotent, because embed.js retries until it is
// acknowledged.
func TestBannerBackgroundPost(t *testing.T) {
	const site = "https://www.kaiconn.com"
	s := newBannerServer(t, func(c *Config) { c.BannerOrigins = []string{site} })
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	outcome := func(t *testing.T, w *httptest.ResponseRecorder) banner.Outcome {
		t.Helper()
		var o banner.Outcome
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &o), w.Body.String())
		return o
	}
	count := func(t *testing.T, subject string) int {
		t.Helper()
		h, err := s.store.Subject(ctx, subject)
		require.NoError(t, err)
		return len(h)
	}

	tk, _ := bannerTicketOf(t, s, site)
	ticket, err := s.creds.ParseTicket(tk.Ticket, time.Now())
	require.NoError(t, err)
	choice := url.Values{"action": {"save"}, "cat": {"analytics"}, "lang": {"en"}, "ticket": {tk.Ticket}}
	first := bannerJSON(t, s, choice, site)

	t.Run("OKRecordedUnderTheTicket", func(t *testing.T) {
		require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
		assert.Equal(t, site, first.Header().Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "true", first.Header().Get("Access-Control-Allow-Credentials"))
		o := outcome(t, first)
		assert.Equal(t, tk.Receipt, o.Receipt)
		assert.Equal(t, tk.Cookies["necessary_analytics"], o.Cookie, "the cookie embed.js wrote at the click is the server's")
		assert.Equal(t, int((182 * 24 * time.Hour).Seconds()), o.MaxAge)
		assert.Equal(t, o.Cookie, responseCookie(t, first, consentCookieName).Value)
		rec, err := s.store.Get(ctx, tk.Receipt)
		require.NoError(t, err)
		assert.Equal(t, ticket.Subject, rec.Subject)
		assert.True(t, ticket.MintedAt.Equal(rec.ShownAt))
		assert.Equal(t, receipt.StateGiven, rec.States["analytics"])
		assert.Equal(t, receipt.StateRefused, rec.States["preferences"])
	})
	t.Run("OKRetryIsAnsweredTheSame", func(t *testing.T) {
		again := bannerJSON(t, s, choice, site)
		require.Equal(t, http.StatusOK, again.Code, again.Body.String())
		assert.Equal(t, outcome(t, first), outcome(t, again))
		assert.Equal(t, 1, count(t, ticket.Subject), "one receipt")
		for _, c := range again.Result().Cookies() {
			assert.NotEqual(t, credential.SubjectCookie, c.Name, "a retry hands out no subject credential")
		}
	})
	t.Run("OKAnotherChoiceUnderAUsedTicketIsANewDecision", func(t *testing.T) {
		sub := responseCookie(t, first, credential.SubjectCookie)
		w := bannerJSON(t, s, with(choice, "action", "accept"), site, sub)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		o := outcome(t, w)
		assert.NotEqual(t, tk.Receipt, o.Receipt, "a ticket is good once")
		assert.Equal(t, "necessary_preferences_analytics", strings.Split(o.Cookie, ".")[2])
		assert.Equal(t, 2, count(t, ticket.Subject))
	})
	t.Run("OKDatedWhenChosenWithinTheTicket", func(t *testing.T) {
		// A banner shown an hour ago, chosen ten minutes after, posted now
		// (the choice waited in the queue while the browser was offline).
		tk := credential.MintTicket(receipt.NewSubject(), time.Now().Add(-time.Hour))
		chosen := tk.MintedAt.Add(10 * time.Minute)
		w := bannerJSON(t, s, with(choice, "ticket", s.creds.TicketValue(tk), "at", strconv.FormatInt(chosen.UnixMilli(), 10)), site)
		require.Equal(t, http.StatusCreated, w.Code, w.Body.String())
		rec, err := s.store.Get(ctx, tk.ReceiptID)
		require.NoError(t, err)
		assert.True(t, chosen.Equal(rec.IssuedAt), "issued %v, chosen %v", rec.IssuedAt, chosen)
	})
	t.Run("ErrForeignOrigin", func(t *testing.T) {
		tk, _ := bannerTicketOf(t, s, site)
		w := bannerJSON(t, s, with(choice, "ticket", tk.Ticket), "https://evil.example")
		assert.Equal(t, http.StatusForbidden, w.Code)
		assert.Empty(t, w.Header().Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"), "the one JSON answer of every surface (httperr)")
		_, err := s.store.Get(ctx, tk.Receipt)
		assert.Equal(t, errs.NotFound, errs.Code(err))
	})
	t.Run("ErrActionAsJSON", func(t *testing.T) {
		w := bannerJSON(t, s, with(choice, "action", "maybe"), site)
		assert.Equal(t, http.StatusBadRequest, w.Code)
		assert.Equal(t, site, w.Header().Get("Access-Control-Allow-Origin"), "the site's page can read why")
		assert.Contains(t, w.Body.String(), `"code":"invalid"`)
	})
}

// idStrings are the purpose ids as text, in their order.
func idStrings(ids []consent.PurposeID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
