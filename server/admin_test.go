package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
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

	"github.com/kaiconn/consent/admin"
	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/console/consoletest"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/proof"
)

const testPassword = "correct horse battery"

// consoleServer is the real program with the console's data set seeded
// and two operators: li.na (officer) and zhang.wei (viewer).
type consoleServer struct {
	*Server
	http   *httptest.Server
	seeded *consoleSeeded
}

type consoleSeeded = consoletest.Seeded

// Its console reads a clock stopped at consoletest.Noon unless a mutation
// sets another, and the data set is seeded at that clock's reading, so
// that the seeded "today" is the console's whatever the time of day.
func newConsoleServer(t *testing.T, mutate ...func(*Config)) *consoleServer {
	t.Helper()
	noon := consoletest.Noon(time.Now())
	stopped := func(c *Config) { c.Admin.Now = func() time.Time { return noon } }
	s := testServer(t, append([]func(*Config){withLaterPolicy(t), stopped}, mutate...)...)
	ctx := context.Background()
	now := s.cfg.Admin.Now()
	seeded, err := consoletest.Seed(ctx, s.store, s.keys, consoletest.Sources{Catalogues: s.catalogues, Policy: s.cfg.PolicyFS}, now)
	require.NoError(t, err)
	store := s.store.(console.Store)
	for name, role := range map[string]console.Role{"li.na": console.Officer, "zhang.wei": console.Viewer} {
		op, err := console.NewOperator(name, role, testPassword, now)
		require.NoError(t, err)
		require.NoError(t, store.AddOperator(ctx, op))
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(hs.Close)
	return &consoleServer{Server: s, http: hs, seeded: seeded}
}

// operatorClient is a client with cookies that does not follow redirects, so
// that tests see each answer.
type operatorClient struct {
	t      *testing.T
	c      *http.Client
	base   string
	header map[string]string
}

func (cs *consoleServer) browser(t *testing.T) *operatorClient {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &operatorClient{t: t, base: cs.http.URL, header: map[string]string{}, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *operatorClient) do(method, path string, form url.Values, header ...string) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
	}
	for k, v := range b.header {
		req.Header.Set(k, v)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	res, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(b.t, err)
	return res, string(data)
}

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := hiddenCSRF.FindStringSubmatch(page)
	require.NotNil(t, m, "the page has a CSRF field")
	return m[1]
}

// signIn signs name in and returns the session's CSRF token.
func (b *operatorClient) signIn(name, password string) (*http.Response, string) {
	b.t.Helper()
	_, page := b.do(http.MethodGet, "/admin/login?lang=en", nil)
	return b.do(http.MethodPost, "/admin/login", url.Values{"csrf": {csrfOf(b.t, page)}, "name": {name}, "password": {password}, "lang": {"en"}})
}

func (b *operatorClient) mustSignIn(name string) string {
	b.t.Helper()
	res, _ := b.signIn(name, testPassword)
	require.Equal(b.t, http.StatusSeeOther, res.StatusCode)
	_, page := b.do(http.MethodGet, "/admin/insights?lang=en", nil)
	return csrfOf(b.t, page)
}

func auditLog(t *testing.T, cs *consoleServer) []console.Entry {
	t.Helper()
	var all []console.Entry
	require.NoError(t, cs.store.(console.Store).ExportAudit(context.Background(), func(e console.Entry) error {
		all = append(all, e)
		return nil
	}))
	require.NoError(t, console.VerifyAudit(all))
	return all
}

func hasEntry(log []console.Entry, operator, action, target, outcome string) bool {
	for _, e := range log {
		if e.Operator == operator && e.Action == action && e.Outcome == outcome && (target == "" || e.Target == target) {
			return true
		}
	}
	return false
}

func TestAdminSignIn(t *testing.T) {
	cs := newConsoleServer(t)
	b := cs.browser(t)

	res, _ := b.do(http.MethodGet, "/admin/insights?lang=en", nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "signed out: to the sign-in form")
	assert.True(t, strings.HasPrefix(res.Header.Get("Location"), "/admin/login?"))

	res, page := b.do(http.MethodGet, "/admin/login?lang=en", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	login := cookieNamed(res, admin.LoginCookie)
	require.NotNil(t, login)
	assert.True(t, login.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, login.SameSite)
	assert.Equal(t, "/admin/login", login.Path)
	assert.NotEqual(t, login.Value, csrfOf(t, page), "the form's token is bound to the cookie, not a copy of it")

	t.Run("ErrWrongPassword", func(t *testing.T) {
		res, page := b.signIn("li.na", "not the password at all")
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
		assert.Contains(t, page, "Wrong name or password.")
		assert.Nil(t, cookieNamed(res, admin.SessionCookie))
	})
	t.Run("ErrUnknownNameReadsAlike", func(t *testing.T) {
		res, page := b.signIn("nobody", "not the password at all")
		assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
		assert.Contains(t, page, "Wrong name or password.")
	})
	t.Run("OK", func(t *testing.T) {
		res, _ := b.signIn("li.na", testPassword)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Equal(t, "/admin/insights?lang=en", res.Header.Get("Location"))
		c := cookieNamed(res, admin.SessionCookie)
		require.NotNil(t, c)
		assert.True(t, c.HttpOnly)
		assert.Equal(t, http.SameSiteStrictMode, c.SameSite)
		assert.Equal(t, "/admin", c.Path)
		assert.False(t, c.Secure, "plain HTTP")
		res, page := b.do(http.MethodGet, "/admin/insights?lang=en", nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Contains(t, page, `data-testid="operator">li.na`)
		assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
	})
	t.Run("SecureBehindTLS", func(t *testing.T) {
		// X-Forwarded-Proto is believed from a trusted proxy only: here the
		// test client on loopback stands for it.
		behind := newConsoleServer(t, func(c *Config) {
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		})
		tls := behind.browser(t)
		tls.header["X-Forwarded-Proto"] = "https"
		tls.header["Origin"] = strings.Replace(tls.base, "http://", "https://", 1)
		res, _ := tls.signIn("li.na", testPassword)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.True(t, cookieNamed(res, admin.SessionCookie).Secure)
	})
	t.Run("SignOut", func(t *testing.T) {
		_, page := b.do(http.MethodGet, "/admin/insights?lang=en", nil)
		res, _ := b.do(http.MethodPost, "/admin/logout", url.Values{"csrf": {csrfOf(t, page)}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res, _ = b.do(http.MethodGet, "/admin/insights?lang=en", nil)
		assert.Equal(t, http.StatusSeeOther, res.StatusCode, "the session is gone from the store, not just the browser")
	})
	log := auditLog(t, cs)
	assert.True(t, hasEntry(log, "li.na", console.ActionSignIn, "", console.OutcomeWrongPassword))
	assert.True(t, hasEntry(log, "", console.ActionSignIn, "", console.OutcomeUnknown), "an unknown name is not logged")
	assert.True(t, hasEntry(log, "li.na", console.ActionSignIn, "", console.OutcomeOK))
	assert.True(t, hasEntry(log, "li.na", console.ActionSignOut, "", console.OutcomeOK))
	for _, e := range log {
		assert.NotContains(t, e.Target, "password")
		assert.NotEqual(t, "nobody", e.Operator)
	}
}

func TestAdminLockout(t *testing.T) {
	cs := newConsoleServer(t, func(c *Config) { c.Admin.LockoutAttempts = 3 })
	b := cs.browser(t)
	for i := 1; i <= 3; i++ {
		res, page := b.signIn("li.na", "not the password at all")
		if i < 3 {
			assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "attempt %d", i)
			continue
		}
		assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "the third failure locks")
		assert.Contains(t, page, "Too many sign-ins from here")
	}
	res, _ := b.signIn("li.na", testPassword)
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "locked: even the right password")
	assert.Nil(t, cookieNamed(res, admin.SessionCookie))
	assert.True(t, hasEntry(auditLog(t, cs), "li.na", console.ActionSignIn, "", console.OutcomeLocked))
	// Another operator is not locked with it.
	other := cs.browser(t)
	res, _ = other.signIn("zhang.wei", testPassword)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
}

// A post from another site is refused before it is read, whatever it
// carries; so is one without the session's token.
func TestAdminForgedPosts(t *testing.T) {
	cs := newConsoleServer(t)
	b := cs.browser(t)
	csrf := b.mustSignIn("li.na")
	for _, tt := range []struct {
		name   string
		form   url.Values
		header []string
	}{
		{"ForeignOrigin", url.Values{"csrf": {csrf}}, []string{"Origin", "https://evil.example"}},
		{"NullOrigin", url.Values{"csrf": {csrf}}, []string{"Origin", "null"}},
		{"CrossSiteFetch", url.Values{"csrf": {csrf}}, []string{"Origin", "", "Sec-Fetch-Site", "cross-site"}},
		{"NoToken", url.Values{}, nil},
		{"WrongToken", url.Values{"csrf": {"forged"}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, _ := b.do(http.MethodPost, "/admin/logout", tt.form, tt.header...)
			assert.Equal(t, http.StatusForbidden, res.StatusCode)
			res, _ = b.do(http.MethodGet, "/admin/insights?lang=en", nil)
			assert.Equal(t, http.StatusOK, res.StatusCode, "still signed in: the post did nothing")
		})
	}
	t.Run("SignInFromAnotherSite", func(t *testing.T) {
		other := cs.browser(t)
		_, page := other.do(http.MethodGet, "/admin/login?lang=en", nil)
		res, _ := other.do(http.MethodPost, "/admin/login", url.Values{"csrf": {csrfOf(t, page)}, "name": {"li.na"}, "password": {testPassword}},
			"Origin", "https://evil.example")
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
	})
	t.Run("SignInWithoutTheFormsCookie", func(t *testing.T) {
		other := cs.browser(t)
		res, _ := other.do(http.MethodPost, "/admin/login", url.Values{"csrf": {"anything"}, "name": {"li.na"}, "password": {testPassword}})
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
	})
	assert.True(t, hasEntry(auditLog(t, cs), "", "post /admin/logout", "", "cross-site"))
}

func TestAdminRoles(t *testing.T) {
	cs := newConsoleServer(t)
	b := cs.browser(t)
	b.mustSignIn("zhang.wei")
	subject := cs.seeded.Subjects["app-zh"]
	_, page := b.do(http.MethodGet, "/admin/insights?lang=en", nil)
	assert.NotContains(t, page, `data-testid="nav-lookup"`, "a viewer is not offered the look-up")
	for _, path := range []string{"/admin/lookup?q=" + subject, "/admin/subjects/" + subject, "/admin/subjects/" + subject + "/proof.json",
		"/admin/subjects/" + subject + "/proof.html", "/admin/audit", "/admin/audit.ndjson"} {
		t.Run(path, func(t *testing.T) {
			res, page := b.do(http.MethodGet, path, nil)
			assert.Equal(t, http.StatusForbidden, res.StatusCode)
			assert.NotContains(t, page, cs.seeded.Receipts["app-zh-1"])
		})
	}
	res, _ := b.do(http.MethodGet, "/admin/operations?lang=en", nil)
	assert.Equal(t, http.StatusOK, res.StatusCode, "a viewer sees the operations page")
	log := auditLog(t, cs)
	assert.True(t, hasEntry(log, "zhang.wei", string(console.LookUp), subject, console.OutcomeDenied))
	assert.True(t, hasEntry(log, "zhang.wei", string(console.ReadAudit), "", console.OutcomeDenied))
}

// tableRows reads the rows of the table with data-table=id: each row's
// cells as text.
func tableRows(t *testing.T, page, id string) [][]string {
	t.Helper()
	start := strings.Index(page, `data-table="`+id+`"`)
	require.Positive(t, start, "table %s", id)
	end := strings.Index(page[start:], "</table>")
	body := page[start : start+end]
	var rows [][]string
	for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(body, -1) {
		var cells []string
		for _, c := range regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`).FindAllStringSubmatch(tr[1], -1) {
			cells = append(cells, c[1])
		}
		rows = append(rows, cells)
	}
	return rows
}

func TestAdminInsights(t *testing.T) {
	cs := newConsoleServer(t)
	b := cs.browser(t)
	b.mustSignIn("zhang.wei")
	today := cs.seeded.Today
	res, page := b.do(http.MethodGet, "/admin/insights?lang=en", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, page, `data-testid="total-decisions">6<`)
	assert.Contains(t, page, `data-testid="median-time">8 s<`)
	assert.Contains(t, page, `data-testid="time-known">5 / 6<`)

	rows := tableRows(t, page, "decisions")
	require.Len(t, rows, 1+30, "a header and a row per day of the default period")
	assert.Equal(t, []string{"Day (China Standard Time)", "Agreed", "Updated", "Declined", "Withdrawn", "Total"}, rows[0])
	byDay := map[string][]string{}
	for _, r := range rows[1:] {
		byDay[r[0]] = r[1:]
	}
	for d, counts := range cs.seeded.Decisions {
		got := byDay[d.String()]
		require.NotNil(t, got, d.String())
		assert.Equal(t, counts["agreed"], atoi(t, got[0]), "%s agreed", d)
		assert.Equal(t, counts["declined"], atoi(t, got[2]), "%s declined", d)
		assert.Equal(t, counts["withdrawn"], atoi(t, got[3]), "%s withdrawn", d)
	}
	assert.Equal(t, []string{"0", "0", "0", "0", "0"}, byDay[(today-10).String()])

	purposes := map[string][]string{}
	for _, r := range tableRows(t, page, "purposes")[1:] {
		purposes[r[0]] = r[1:]
	}
	// location: given on first launch, withdrawn in settings, refused by
	// the other app receipts (two, and the re-ask).
	assert.Equal(t, []string{"1 (20.0%)", "3 (60.0%)", "1 (20.0%)", "5"}, purposes["Location services (location, app)"])
	// analytics is an SDK in the app and a cookie category on the web:
	// counted apart.
	assert.Equal(t, []string{"0 (0.0%)", "5 (100.0%)", "0 (0.0%)", "5"}, purposes["Usage statistics (analytics, app)"])
	assert.Equal(t, []string{"1 (100.0%)", "0 (0.0%)", "0 (0.0%)", "1"}, purposes["Analytics cookies and similar technologies (analytics, website)"])
	// Required processing rests on necessity, not consent: no consent rate
	// is shown for it, nor named the lowest.
	for _, required := range []string{"Basic functions (required) (basic, app)", "Strictly necessary cookies (necessary, website)"} {
		assert.NotContains(t, purposes, required)
		assert.NotContains(t, page, "given least often is "+required)
	}

	reasks := tableRows(t, page, "reasks")
	require.Len(t, reasks, 2)
	assert.Equal(t, []string{localestest.Later, "1 (100.0%)", "0 (0.0%)", "0 (0.0%)", "0 (0.0%)", "1"}, reasks[1])

	t.Run("Filtered", func(t *testing.T) {
		_, page := b.do(http.MethodGet, "/admin/insights?lang=en&surface=web-banner&from="+(today-2).String()+"&to="+today.String(), nil)
		assert.Contains(t, page, `data-testid="total-decisions">1<`)
		assert.Len(t, tableRows(t, page, "decisions"), 1+3)
	})
	t.Run("ErrBadFilter", func(t *testing.T) {
		res, page := b.do(http.MethodGet, "/admin/insights?lang=en&surface=popup", nil)
		assert.Equal(t, http.StatusOK, res.StatusCode, "the default period, and the problem said")
		assert.Contains(t, page, `surface: &#34;popup&#34;`)
	})
	assert.True(t, hasEntry(auditLog(t, cs), "zhang.wei", console.ActionViewInsights, (today-29).String()+".."+today.String(), console.OutcomeOK))
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err, s)
	return n
}

func TestAdminLookup(t *testing.T) {
	cs := newConsoleServer(t)
	b := cs.browser(t)
	b.mustSignIn("li.na")
	subject := cs.seeded.Subjects["app-zh"]
	id := cs.seeded.Receipts["app-zh-2"]

	res, _ := b.do(http.MethodGet, "/admin/lookup?lang=en&q="+strings.ToUpper(id), nil)
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "a receipt id leads to its subject")
	loc := res.Header.Get("Location")
	assert.Equal(t, "/admin/subjects/"+subject+"?lang=en&receipt="+id+"#r-"+id, loc)

	res, page := b.do(http.MethodGet, strings.Split(loc, "#")[0], nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, page, "All 3 receipts verified")
	assert.Equal(t, 3, strings.Count(page, `data-testid="receipt"`))
	assert.Equal(t, 14, strings.Count(page, `data-status="ok"`), "five checks each…")
	assert.Equal(t, 1, strings.Count(page, `data-status="na"`), "…but no notice for a kaiconn-receipt/1 receipt")
	assert.Contains(t, page, "每日互动股份有限公司(个推) — 个推SDK", "the push purpose's recipient, from its notice, in the receipt's language")
	assert.Contains(t, page, "kc-timeline__item--found")

	res, _ = b.do(http.MethodGet, "/admin/lookup?lang=en&q="+subject, nil)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	res, page = b.do(http.MethodGet, "/admin/lookup?lang=en&q=sub_nosuchsubjectatallhere", nil)
	assert.Equal(t, http.StatusNotFound, res.StatusCode)
	assert.Contains(t, page, "No receipt or subject matches.")

	log := auditLog(t, cs)
	assert.True(t, hasEntry(log, "li.na", console.ActionLookUp, strings.ToUpper(id), console.OutcomeOK))
	assert.True(t, hasEntry(log, "li.na", console.ActionViewSubject, subject, console.OutcomeOK))
	assert.True(t, hasEntry(log, "li.na", console.ActionLookUp, "sub_nosuchsubjectatallhere", "not-found"))
}

func TestAdminProofBundle(t *testing.T) {
	cs := newConsoleServer(t)
	b := cs.browser(t)
	b.mustSignIn("li.na")
	subject := cs.seeded.Subjects["app-zh"]

	res, data := b.do(http.MethodGet, "/admin/subjects/"+subject+"/proof.json", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.Header.Get("Content-Disposition"), `attachment; filename="kaiconn-proof-`+subject)
	v, err := proof.Verify([]byte(data), cs.keys.JWKS())
	require.NoError(t, err)
	assert.Len(t, v.Report.Items, 3)
	assert.Contains(t, v.Bundle.Policies, localestest.Later+"/zh-Hans.md", "the later policy's text travels with its receipt")

	res, html := b.do(http.MethodGet, "/admin/subjects/"+subject+"/proof.html?lang=zh-Hans", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, res.Header.Get("Content-Disposition"), ".html")
	assert.Contains(t, html, "全部 3 份回执均已验证")
	assert.NotContains(t, html, "kaiconn-verify -bundle", "no command that trusts the bundle's own keys")
	assert.Contains(t, html, "curl -o jwks.json "+cs.http.URL+"/.well-known/jwks.json\nkaiconn-verify -jwks jwks.json -bundle kaiconn-proof-"+subject)
	assert.Contains(t, html, "kaiconn-verify -kids KID1,KID2 -bundle kaiconn-proof-"+subject)
	assert.Contains(t, html, cs.keys.KeyID())
	assert.Contains(t, html, "RFC 7638 SHA-256 指纹", "the reader is told what the key ids are")
	assert.Contains(t, html, "两处都没有的密钥并非来自每开", "and how to check them")
	for _, external := range []string{"<script", " src=", "<link", "url(", "@import"} {
		assert.NotContains(t, html, external, "the file loads nothing")
	}
	log := auditLog(t, cs)
	assert.True(t, hasEntry(log, "li.na", console.ActionDownloadJSON, subject, console.OutcomeOK))
	assert.True(t, hasEntry(log, "li.na", console.ActionDownloadHTML, subject, console.OutcomeOK))
}

// Every console page keeps the site's policy: the same CSP, no inline
// script or style, every message filled, in both languages.
func TestAdminPagesStayStrict(t *testing.T) {
	cs := newConsoleServer(t)
	b := cs.browser(t)
	b.mustSignIn("li.na")
	subject := cs.seeded.Subjects["web"]
	for _, l := range []string{"en", "zh-Hans"} {
		for _, path := range []string{"/admin/insights", "/admin/lookup", "/admin/subjects/" + subject, "/admin/operations", "/admin/audit"} {
			t.Run(l+path, func(t *testing.T) {
				res, page := b.do(http.MethodGet, path+"?lang="+l, nil)
				require.Equal(t, http.StatusOK, res.StatusCode)
				assert.Equal(t, contentSecurityPolicy, res.Header.Get("Content-Security-Policy"))
				assert.NotContains(t, page, "<script")
				assert.NotContains(t, page, " style=")
				assert.NotContains(t, page, "<style")
				assert.NotContains(t, page, "{{")
				assert.Contains(t, page, `<html lang="`+l+`"`)
			})
		}
	}
	t.Run("LoginPage", func(t *testing.T) {
		res, page := cs.browser(t).do(http.MethodGet, "/admin/login?lang=zh-Hans", nil)
		assert.Equal(t, contentSecurityPolicy, res.Header.Get("Content-Security-Policy"))
		assert.NotContains(t, page, "<script")
		assert.Contains(t, page, "登录同意记录控制台")
	})
}

func TestAdminOperations(t *testing.T) {
	cs := newConsoleServer(t)
	b := cs.browser(t)
	b.mustSignIn("zhang.wei")
	_, page := b.do(http.MethodGet, "/admin/operations?lang=en", nil)
	rows := tableRows(t, page, "keys")
	require.Len(t, rows, 2)
	assert.Equal(t, cs.keys.KeyID(), rows[1][0])
	assert.Equal(t, "signs new receipts", rows[1][2])
	assert.Contains(t, page, `data-testid="store-engine">memory<`, "the engine the store reports: these tests run the console on memstore")
	assert.Contains(t, page, `data-testid="store-receipts">6<`)
	assert.Contains(t, page, `data-testid="limit-api">120 requests per client IP per 1m0s<`)
	assert.Contains(t, page, `data-testid="build-go">go`)
	perDay := tableRows(t, page, "per-day")
	assert.Equal(t, []string{cs.seeded.Today.String(), "3"}, perDay[len(perDay)-1])
}

// The per-day rows end on the console's today, in Beijing, and count the
// receipts of each Beijing day: a second before midnight there (15:59:59
// UTC) today holds the three receipts of the day; at midnight (16:00:00
// UTC) a new day begins with none, and the data set, seeded at that
// instant, dates the receipts it would have dated later that day just
// before midnight, on the day before.
func TestAdminOperationsAtBeijingMidnight(t *testing.T) {
	for _, tc := range []struct {
		name       string
		at         time.Time
		today      string
		perDayTail [][]string // the last three rows: the day before yesterday, yesterday, today
	}{
		{"SecondBefore", time.Date(2026, 11, 29, 15, 59, 59, 0, time.UTC), "2026-11-29",
			[][]string{{"2026-11-27", "1"}, {"2026-11-28", "2"}, {"2026-11-29", "3"}}},
		{"Midnight", time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC), "2026-11-30",
			[][]string{{"2026-11-28", "1"}, {"2026-11-29", "5"}, {"2026-11-30", "0"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := newConsoleServer(t, func(c *Config) { c.Admin.Now = func() time.Time { return tc.at } })
			require.Equal(t, tc.today, cs.seeded.Today.String())
			b := cs.browser(t)
			b.mustSignIn("zhang.wei")
			_, page := b.do(http.MethodGet, "/admin/operations?lang=en", nil)
			perDay := tableRows(t, page, "per-day")
			require.Len(t, perDay, 1+14, "a header and a row per day")
			assert.Equal(t, tc.perDayTail, perDay[len(perDay)-3:])
			var total int64
			for _, n := range cs.seeded.Decisions[cs.seeded.Today] {
				total += n
			}
			assert.Equal(t, strconv.FormatInt(total, 10), perDay[len(perDay)-1][1], "what the data set says of today")
		})
	}
}

// The export's bearer token keeps working beside the console, and the
// audit log exports whole and verifiable.
func TestAdminExports(t *testing.T) {
	cs := newConsoleServer(t, func(c *Config) { c.AdminToken = "machine-token" })
	req := httptest.NewRequest(http.MethodGet, "/api/v1/export", nil)
	req.Header.Set("Authorization", "Bearer machine-token")
	w := httptest.NewRecorder()
	cs.Handler().ServeHTTP(w, req)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, int(cs.seeded.Total), strings.Count(w.Body.String(), "\n"))
	assert.True(t, hasEntry(auditLog(t, cs), console.ExportToken, console.ActionExportReceipts, "", console.OutcomeOK),
		"the machines' export of every receipt is in the audit log")
	req = httptest.NewRequest(http.MethodGet, "/api/v1/export", nil)
	req.Header.Set("Authorization", "Bearer a guess")
	w = httptest.NewRecorder()
	cs.Handler().ServeHTTP(w, req)
	require.Equal(t, http.StatusUnauthorized, w.Code)
	assert.True(t, hasEntry(auditLog(t, cs), "", console.ActionExportReceipts, "", "bad-token"), "and so is a wrong token")

	b := cs.browser(t)
	b.mustSignIn("li.na")
	res, body := b.do(http.MethodGet, "/admin/audit.ndjson", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	var entries []console.Entry
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var e console.Entry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		entries = append(entries, e)
	}
	require.GreaterOrEqual(t, len(entries), 2)
	assert.NoError(t, console.VerifyAudit(entries))
	assert.Equal(t, console.ActionExportAudit, entries[len(entries)-2].Action, "logged before it was written")
	// The export ends anchored: a checkpoint signed with the server's key
	// names the export's own entry.
	cp := entries[len(entries)-1]
	assert.Equal(t, console.ActionCheckpoint, cp.Action)
	assert.Equal(t, console.Server, cp.Operator)
	got, err := console.VerifyAnchored(entries, cs.keys.JWKS())
	require.NoError(t, err)
	assert.Equal(t, entries[len(entries)-2].Seq, got.Through)
	assert.Equal(t, []string{cs.keys.KeyID()}, got.KeyIDs)
}

// Between exports, the server anchors the log every
// console.CheckpointEvery entries.
func TestAdminAuditCheckpoints(t *testing.T) {
	cs := newConsoleServer(t)
	b := cs.browser(t)
	b.mustSignIn("li.na")
	for range console.CheckpointEvery {
		res, _ := b.do(http.MethodGet, "/admin/operations?lang=en", nil)
		require.Equal(t, http.StatusOK, res.StatusCode)
	}
	log := auditLog(t, cs)
	got, err := console.VerifyAnchored(log, cs.keys.JWKS())
	require.NoError(t, err)
	assert.Equal(t, 1, got.Checkpoints)
	assert.Equal(t, int64(console.CheckpointEvery), got.Through)
	assert.Equal(t, console.ActionCheckpoint, log[console.CheckpointEvery].Action, "right after the entry it anchors")
}

// A short export token starts the server with a warning that names the
// setting, never the token.
func TestAdminTokenTooShort(t *testing.T) {
	for _, tt := range []struct {
		name, token string
		warned      bool
	}{
		{"ErrOneCharacter", "Q", true},
		{"ErrShort", "Q123456789abcdef0123456789abcdZ", true},
		{"OK", "0123456789abcdef0123456789abcdef", false},
		{"OKNone", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			s, err := openData(Config{DataDir: t.TempDir(), WebDir: t.TempDir(), AdminToken: tt.token}, slog.New(slog.NewTextHandler(&buf, nil)))
			require.NoError(t, err)
			defer s.Close()
			assert.Equal(t, tt.warned, strings.Contains(buf.String(), "KAICONN_ADMIN_TOKEN"), buf.String())
			if tt.token != "" {
				assert.NotContains(t, buf.String(), tt.token)
			}
		})
	}
}
