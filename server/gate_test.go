package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/kaiconn/consent/appconsent"
	"github.com/kaiconn/consent/banner"
	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// testServer opens a server on no address, over a store in memory;
// requests go to its handler.
func testServer(t *testing.T, mutate ...func(*Config)) *Server {
	t.Helper()
	cfg := Config{WebDir: t.TempDir(), UserAgreementURL: "https://example.com/agreement",
		CatalogueFS: localestest.Catalogues(t, localestest.Base), PolicyFS: localestest.Policy(t, localestest.Base)}
	for _, f := range mutate {
		f(&cfg)
	}
	return openMem(t, cfg, slog.New(slog.DiscardHandler))
}

// withLaterPolicy serves the fictitious later version from testdata
// (localestest.Later) after the base version, whatever locales/ ships.
func withLaterPolicy(t *testing.T) func(*Config) {
	return func(c *Config) {
		c.CatalogueFS = localestest.Catalogues(t, localestest.Base, localestest.Later)
		c.PolicyFS = localestest.Policy(t, localestest.Base, localestest.Later)
	}
}

type req struct {
	method, target string
	form           url.Values
	cookie         string // kc_app_consent value
	sub            string // kc_sub value
	header         map[string]string
}

func do(t *testing.T, s *Server, r req) *http.Response {
	t.Helper()
	var body *strings.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	} else {
		body = strings.NewReader("")
	}
	hr := httptest.NewRequest(r.method, r.target, body)
	if r.form != nil {
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if r.cookie != "" {
		hr.AddCookie(&http.Cookie{Name: appconsent.CookieName, Value: r.cookie})
	}
	if r.sub != "" {
		hr.AddCookie(&http.Cookie{Name: credential.SubjectCookie, Value: r.sub})
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, hr)
	return w.Result()
}

func bodyOf(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

// inputs returns every <input> of a page as attribute maps.
func inputs(t *testing.T, page string) []map[string]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var out []map[string]string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" {
			a := map[string]string{}
			for _, at := range n.Attr {
				a[at.Key] = at.Val
			}
			out = append(out, a)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// gatePage is what a test reads of a rendered gate: the data gate.js
// reads (#kc-gate) and what the markup shows.
type gatePage struct {
	components.GateScript
	Mode      string   // <main data-mode>
	Decision  string   // <main data-decision>: the decision shown, if any
	HostState string   // carried in the form, or in the "change" link
	Error     string   // text of #kc-gate-error
	Boxes     []string // purpose boxes, in page order
	Ticked    []string // the ticked ones
	Granted   []string // current choice: purposes listed as allowed
	Changed   []string // purposes marked changed or new
	// WasGranted are the re-asked purposes marked as allowed before, and
	// Added the items each purpose's data list gained.
	WasGranted []string
	Added      map[string][]string
	Hint       string   // the text beside the buttons
	New        []string // purposes marked new
}

// gateState reads a rendered gate.
func gateState(t *testing.T, page string) gatePage {
	t.Helper()
	var v gatePage
	if raw := scriptJSON(t, page, "kc-gate"); raw != "" {
		require.NoError(t, json.Unmarshal([]byte(raw), &v.GateScript))
	}
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	attr := func(n *html.Node, k string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val, true
			}
		}
		return "", false
	}
	var text func(*html.Node) string
	text = func(n *html.Node) string {
		if n.Type == html.TextNode {
			return n.Data
		}
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			b.WriteString(text(c))
		}
		return b.String()
	}
	var walk func(n *html.Node, purpose string, granted bool)
	walk = func(n *html.Node, purpose string, granted bool) {
		if n.Type == html.ElementNode {
			id, _ := attr(n, "id")
			class, _ := attr(n, "class")
			name, _ := attr(n, "name")
			switch {
			case n.Data == "main":
				v.Mode, _ = attr(n, "data-mode")
				v.Decision, _ = attr(n, "data-decision")
			case n.Data == "input" && name == "state":
				v.HostState, _ = attr(n, "value")
			case n.Data == "input" && name == "purpose":
				val, _ := attr(n, "value")
				v.Boxes = append(v.Boxes, val)
				if _, on := attr(n, "checked"); on {
					v.Ticked = append(v.Ticked, val)
				}
			case id == "kc-gate-buttons-hint":
				v.Hint = strings.TrimSpace(text(n))
			case strings.Contains(class, "kc-badge--was") && purpose != "":
				v.WasGranted = append(v.WasGranted, purpose)
			case n.Data == "li" && purpose != "" && slices.Contains(n.Attr, html.Attribute{Key: "data-change", Val: "added"}):
				if v.Added == nil {
					v.Added = map[string][]string{}
				}
				v.Added[purpose] = append(v.Added[purpose], strings.TrimSpace(text(n.LastChild)))
			case id == "kc-gate-error":
				v.Error = strings.TrimSpace(text(n))
			case id == "kc-change-link" && v.HostState == "":
				href, _ := attr(n, "href")
				if u, err := url.Parse(href); err == nil {
					v.HostState = u.Query().Get("state")
				}
			case id == "kc-granted":
				granted = true
			case n.Data == "li" && granted:
				if p, ok := attr(n, "data-purpose"); ok {
					v.Granted = append(v.Granted, p)
				}
			case strings.Contains(class, "kc-badge--changed") && purpose != "":
				if !slices.Contains(v.Changed, purpose) {
					v.Changed = append(v.Changed, purpose)
				}
				if strings.TrimSpace(text(n)) == "New" && !slices.Contains(v.New, purpose) {
					v.New = append(v.New, purpose)
				}
			}
			if p, ok := attr(n, "data-purpose"); ok && strings.Contains(class, "kc-purpose") {
				purpose = p
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, purpose, granted)
		}
	}
	walk(doc, "", false)
	return v
}

func scriptJSON(t *testing.T, page, id string) string {
	t.Helper()
	start := strings.Index(page, `<script id="`+id+`" type="application/json">`)
	if start < 0 {
		return ""
	}
	rest := page[start:]
	rest = rest[strings.Index(rest, ">")+1:]
	return rest[:strings.Index(rest, "</script>")]
}

func appCookie(res *http.Response) *http.Cookie { return cookieNamed(res, appconsent.CookieName) }

// subCookie is the kc_sub cookie a response sets, nil when none.
func subCookie(res *http.Response) *http.Cookie {
	return cookieNamed(res, credential.SubjectCookie)
}

func cookieNamed(res *http.Response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// browser is what a browser holds after a decision: the decision cookie
// and the subject credential.
type browser struct{ cookie, sub string }

// decide posts form to path as a browser holding b's cookies, expects a
// redirect, and returns what the browser holds afterwards.
func decide(t *testing.T, s *Server, path string, b browser, form url.Values) browser {
	t.Helper()
	res := do(t, s, req{method: "POST", target: path, form: form, cookie: b.cookie, sub: b.sub})
	require.Equal(t, http.StatusSeeOther, res.StatusCode, "%s", bodyOf(t, res))
	require.NotNil(t, appCookie(res))
	require.NotNil(t, subCookie(res), "the subject credential comes with the decision")
	return browser{cookie: appCookie(res).Value, sub: subCookie(res).Value}
}

// decoded parses a cookie value with the server's own strict decoder.
func decoded(t *testing.T, s *Server, value string) []appconsent.Decision {
	t.Helper()
	g := s.newAppConsent()
	h, err := g.DecodeCookie(value, time.Now())
	require.NoError(t, err)
	return h
}

func TestGate(t *testing.T) {
	s := testServer(t)

	t.Run("NothingPreTicked", func(t *testing.T) {
		for _, l := range []string{"en", "zh-Hans"} {
			res := do(t, s, req{method: "GET", target: "/consent?lang=" + l})
			require.Equal(t, http.StatusOK, res.StatusCode)
			page := bodyOf(t, res)
			var boxes int
			for _, in := range inputs(t, page) {
				if in["type"] != "checkbox" {
					continue
				}
				boxes++
				_, checked := in["checked"]
				assert.False(t, checked, "%s: input %s is pre-ticked", l, in["id"])
			}
			assert.Equal(t, 6, boxes, "five SDK purposes and the 18+ confirmation")
			v := gateState(t, page)
			assert.Equal(t, components.GateAsk, v.Mode)
			optional := []string{"push", "wechat-share", "location", "crash-reports", "analytics"}
			assert.Equal(t, optional, v.Boxes)
			assert.Equal(t, optional, v.Asked, "gate.js asks what the page shows")
			assert.Equal(t, append([]string{"basic"}, optional...), v.Purposes)
			assert.Equal(t, "basic", v.Required)
			assert.Equal(t, components.BridgeVersion, v.V)
			tk, err := credential.PeekTicket(v.Ticket)
			require.NoError(t, err)
			assert.Equal(t, tk.ReceiptID, v.ReceiptID, "the message names the ticket's receipt")
			assert.Contains(t, page, `aria-labelledby="kc-gate-title"`)
			assert.Regexp(t, `<script src="/static/gate\.[0-9a-f]{12}\.js" defer></script>`, page)
			// Rendered without any state, the page is right for a first
			// launch; boot.js loads the wasm only when the host hands a
			// state over, and the wasm renders its view from the page's
			// data and the catalogues it carries.
			assert.Contains(t, page, `data-rendered-for="none"`)
			assert.Regexp(t, `<script src="/static/boot\.[0-9a-f]{12}\.js"`, page)
			var data components.GateView
			require.NoError(t, json.Unmarshal([]byte(scriptJSON(t, page, "kc-state")), &data))
			assert.Equal(t, components.RenderedNone, data.RenderedFor)
			assert.Equal(t, v.Ticket, data.Ticket)
			assert.Equal(t, "https://example.com/agreement", data.AgreementURL)
			assert.NotEmpty(t, data.Strings["gate_reask_title"])
			assert.Empty(t, data.Optional, "the wasm has the purposes' texts")
			assert.Contains(t, page, `href="/privacy?lang=`+l+`"`)
			assert.Contains(t, page, `href="https://example.com/agreement"`)
			assert.Nil(t, appCookie(res), "reading the gate records nothing")
		}
	})

	t.Run("ErrAdultNotConfirmed", func(t *testing.T) {
		res := do(t, s, req{method: "POST", target: "/consent", form: url.Values{"lang": {"en"}, "action": {"agree"}, "purpose": {"push"}}})
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Nil(t, appCookie(res), "nothing recorded")
		page := bodyOf(t, res)
		assert.Contains(t, page, `id="kc-gate-error"`)
		assert.Contains(t, page, "18 or older")
		v := gateState(t, page)
		assert.Contains(t, v.Error, "18 or older")
		assert.Equal(t, []string{"push"}, v.Ticked, "the person's own tick survives the error")
	})

	t.Run("AgreeGrantsExactlyTicked", func(t *testing.T) {
		res := do(t, s, req{method: "POST", target: "/consent", form: url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"location", "push"}}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		c := appCookie(res)
		require.NotNil(t, c)
		assert.True(t, c.HttpOnly)
		h := decoded(t, s, c.Value)
		require.Len(t, h, 1)
		d := h[0]
		assert.Equal(t, consent.KindAgreed, d.Kind)
		assert.Equal(t, consent.SurfaceFirstLaunch, d.Surface)
		for _, ch := range d.Choices {
			want := ch.Purpose == "basic" || ch.Purpose == "location" || ch.Purpose == "push"
			assert.Equal(t, want, ch.Granted, string(ch.Purpose))
		}
		loc, err := url.Parse(res.Header.Get("Location"))
		require.NoError(t, err)
		assert.Equal(t, "/consent/done", loc.Path)
		assert.Equal(t, d.ReceiptID, loc.Query().Get("r"))

		t.Run("DonePageCarriesTheMessageOnce", func(t *testing.T) {
			res := do(t, s, req{method: "GET", target: loc.String(), cookie: c.Value})
			require.Equal(t, http.StatusOK, res.StatusCode)
			page := bodyOf(t, res)
			var m components.BridgeMessage
			require.NoError(t, json.Unmarshal([]byte(scriptJSON(t, page, "kc-bridge")), &m))
			assert.Equal(t, components.BridgeMessage{
				V: 2, Type: "consent", Decision: "agreed", PolicyVersion: localestest.Base, ReceiptID: d.ReceiptID,
				Purposes: map[string]bool{"basic": true, "push": true, "location": true, "wechat-share": false, "crash-reports": false, "analytics": false},
				At:       d.At.UTC().Format("2006-01-02T15:04:05.000Z"),
			}, m)
			again := do(t, s, req{method: "GET", target: "/consent/done?lang=en", cookie: c.Value})
			assert.Empty(t, scriptJSON(t, bodyOf(t, again), "kc-bridge"), "without ?r= no message")
		})
	})

	t.Run("DeclineRefusesEveryOptional", func(t *testing.T) {
		// Declining needs no age confirmation: refusing is always possible.
		res := do(t, s, req{method: "POST", target: "/consent", form: url.Values{"lang": {"zh-Hans"}, "action": {"decline"}, "purpose": {"push"}}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		d := decoded(t, s, appCookie(res).Value)[0]
		assert.Equal(t, consent.KindDeclined, d.Kind)
		assert.Equal(t, "zh-Hans", d.Lang)
		for _, ch := range d.Choices {
			assert.Equal(t, ch.Required, ch.Granted, string(ch.Purpose))
		}
	})

	t.Run("ErrUnknownPurpose", func(t *testing.T) {
		res := do(t, s, req{method: "POST", target: "/consent", form: url.Values{"action": {"agree"}, "adult": {"1"}, "purpose": {"contacts"}}})
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Nil(t, appCookie(res))
	})

	t.Run("ErrCrossSite", func(t *testing.T) {
		res := do(t, s, req{method: "POST", target: "/consent", form: url.Values{"action": {"decline"}}, header: map[string]string{"Sec-Fetch-Site": "cross-site"}})
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
		assert.Nil(t, appCookie(res))
	})

	t.Run("JSONForTheWasm", func(t *testing.T) {
		res := do(t, s, req{method: "POST", target: "/consent", form: url.Values{"lang": {"en"}, "action": {"decline"}}, header: map[string]string{"Accept": "application/json"}})
		require.Equal(t, http.StatusOK, res.StatusCode)
		var out components.Outcome[components.GateView]
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		require.NotNil(t, out.View.Bridge)
		assert.Equal(t, components.GateDone, out.View.Mode)
		assert.Equal(t, "declined", out.View.Bridge.Decision)
		assert.Equal(t, decoded(t, s, appCookie(res).Value)[0].ReceiptID, out.View.Bridge.ReceiptID)
	})
}

// cookieValue builds a cookie as a browser would send it back, from a
// record the test writes out in full, signed with the server's key so that
// each case tests what it names, not the signature.
func cookieValue(t *testing.T, s *Server, rec any) string {
	t.Helper()
	b, err := json.Marshal(rec)
	require.NoError(t, err)
	return signed(s, base64.RawURLEncoding.EncodeToString(b))
}

// signed signs a cookie body with s's key.
func signed(s *Server, body string) string {
	return body + "." + s.newCookieKeys(appconsent.CookieName).mac(body)
}

func entry(kind consent.Kind, version string, at time.Time, granted ...string) map[string]any {
	if granted == nil {
		granted = []string{}
	}
	return map[string]any{"k": kind, "p": version, "s": "first-launch", "l": "en", "t": at.UnixMilli(), "g": granted, "r": uuid.NewString()}
}

func TestGateCookie(t *testing.T) {
	s := testServer(t)
	now := time.Now()
	valid := entry(consent.KindAgreed, localestest.Base, now.Add(-time.Hour), "push")
	with := func(k string, v any) map[string]any {
		e := map[string]any{}
		for kk, vv := range valid {
			e[kk] = vv
		}
		e[k] = v
		return e
	}
	tests := []struct {
		name   string
		cookie string
	}{
		{"NotBase64", "%%%not-base64%%%"},
		{"Unsigned", strings.Split(cookieValue(t, s, map[string]any{"v": 1, "h": []any{valid}}), ".")[0]},
		{"SignedByAnotherKey", func() string {
			body := strings.Split(cookieValue(t, s, map[string]any{"v": 1, "h": []any{valid}}), ".")[0]
			return body + "." + cookieMAC([]byte("another key"), body)
		}()},
		{"SignedWithTheKeyOfTheOtherCookie", func() string {
			body := strings.Split(cookieValue(t, s, map[string]any{"v": 1, "h": []any{valid}}), ".")[0]
			return body + "." + s.newCookieKeys(banner.CookieName).mac(body)
		}()},
		{"NotJSON", base64.RawURLEncoding.EncodeToString([]byte("agreed"))},
		{"UnknownFormat", cookieValue(t, s, map[string]any{"v": 2, "h": []any{valid}})},
		{"UnknownField", cookieValue(t, s, map[string]any{"v": 1, "h": []any{with("admin", true)}})},
		{"EmptyHistory", cookieValue(t, s, map[string]any{"v": 1, "h": []any{}})},
		{"UnknownVersion", cookieValue(t, s, map[string]any{"v": 1, "h": []any{with("p", "2099-01")}})},
		{"UnknownKind", cookieValue(t, s, map[string]any{"v": 1, "h": []any{with("k", "maybe")}})},
		{"WebSurface", cookieValue(t, s, map[string]any{"v": 1, "h": []any{with("s", "web-banner")}})},
		{"FutureTime", cookieValue(t, s, map[string]any{"v": 1, "h": []any{with("t", now.Add(24*time.Hour).UnixMilli())}})},
		{"UnknownPurpose", cookieValue(t, s, map[string]any{"v": 1, "h": []any{with("g", []string{"contacts"})}})},
		{"RequiredListed", cookieValue(t, s, map[string]any{"v": 1, "h": []any{with("g", []string{"basic"})}})},
		{"DuplicatePurpose", cookieValue(t, s, map[string]any{"v": 1, "h": []any{with("g", []string{"push", "push"})}})},
		{"BadReceipt", cookieValue(t, s, map[string]any{"v": 1, "h": []any{with("r", "1234")}})},
		{"TrailingData", signed(s, strings.Split(cookieValue(t, s, map[string]any{"v": 1, "h": []any{valid}}), ".")[0]+base64.RawURLEncoding.EncodeToString([]byte("{}")))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, s, req{method: "GET", target: "/consent?lang=en", cookie: tt.cookie})
			v := gateState(t, bodyOf(t, res))
			assert.Equal(t, components.GateAsk, v.Mode, "garbage counts as no decision")
			assert.Empty(t, v.Decision)
		})
	}
	t.Run("OK", func(t *testing.T) {
		res := do(t, s, req{method: "GET", target: "/consent?lang=en", cookie: cookieValue(t, s, map[string]any{"v": 1, "h": []any{valid}})})
		v := gateState(t, bodyOf(t, res))
		assert.Equal(t, components.GateCurrent, v.Mode)
		assert.Equal(t, "agreed", v.Decision)
	})
}

func TestGatePrompt(t *testing.T) {
	s := testServer(t)
	now := time.Now()
	declined := func(ago time.Duration) string {
		return cookieValue(t, s, map[string]any{"v": 1, "h": []any{entry(consent.KindDeclined, localestest.Base, now.Add(-ago))}})
	}
	tests := []struct {
		name, target, cookie, mode string
	}{
		{"FirstLaunch", "/consent", "", components.GateAsk},
		{"RecentDeclineShowsCurrent", "/consent", declined(time.Hour), components.GateCurrent},
		{"OpenedByUser", "/consent?open=1", declined(time.Hour), components.GateAsk},
		// Under the same policy version an answer stands, however old.
		{"OldDeclineSameVersion", "/consent", declined(72 * time.Hour), components.GateCurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := do(t, s, req{method: "GET", target: tt.target, cookie: tt.cookie})
			assert.Equal(t, tt.mode, gateState(t, bodyOf(t, res)).Mode)
		})
	}
}

// The review link (?open=1, from the current choice or the host's state)
// shows the stored answers, not blank switches, and says beside the
// buttons what Disagree would turn off, so neither button resets a choice
// unannounced.
func TestGateReview(t *testing.T) {
	s := testServer(t)
	now := time.Now()
	cookie := cookieValue(t, s, map[string]any{"v": 1, "h": []any{entry(consent.KindAgreed, localestest.Base, now.Add(-time.Hour), "push", "location")}})
	host := hostStateParam(t, map[string]any{
		"v": 2, "type": "consent", "decision": "agreed", "policyVersion": localestest.Base, "receiptId": uuid.NewString(),
		"purposes": map[string]bool{"basic": true, "push": false, "wechat-share": false, "location": true, "crash-reports": false, "analytics": false},
		"at":       now.Add(-time.Hour).UTC().Format(components.BridgeTime),
	})
	for _, tc := range []struct {
		name, target, cookie string
		ticked               []string
		hint                 []string
	}{
		{"Cookie", "/consent?lang=en&open=1", cookie, []string{"push", "location"}, []string{"Push notifications", "Location"}},
		{"HostState", "/consent?lang=en&open=1&state=" + host, "", []string{"location"}, []string{"Location"}},
		{"FirstLaunchStaysBlank", "/consent?lang=en&open=1", "", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := gateState(t, bodyOf(t, do(t, s, req{method: "GET", target: tc.target, cookie: tc.cookie})))
			assert.Equal(t, components.GateAsk, v.Mode)
			assert.Equal(t, tc.ticked, v.Ticked)
			for _, title := range tc.hint {
				assert.Contains(t, v.Hint, title, "Disagree says what it turns off")
			}
			if tc.hint == nil {
				assert.NotContains(t, v.Hint, "turns off")
			}
		})
	}
	t.Run("AgreeUnchangedKeepsTheChoice", func(t *testing.T) {
		v := gateState(t, bodyOf(t, do(t, s, req{method: "GET", target: "/consent?lang=en&open=1&state=" + host})))
		form := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "state": {host}, "purpose": v.Ticked}
		res := do(t, s, req{method: "POST", target: "/consent", form: form})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		d := decoded(t, s, appCookie(res).Value)[0]
		assert.True(t, d.Granted("location"))
		assert.False(t, d.Granted("push"))
	})
}

func TestGatePolicyChange(t *testing.T) {
	s := testServer(t, withLaterPolicy(t))
	now := time.Now()
	accepted := entry(consent.KindAgreed, localestest.Base, now.Add(-30*24*time.Hour), "push", "location")
	cookie := cookieValue(t, s, map[string]any{"v": 1, "h": []any{accepted}})

	t.Run("AsksOnlyWhatChanged", func(t *testing.T) {
		res := do(t, s, req{method: "GET", target: "/consent?lang=en", cookie: cookie})
		page := bodyOf(t, res)
		v := gateState(t, page)
		require.Equal(t, components.GateReask, v.Mode)
		assert.Equal(t, localestest.Base, v.AcceptedVersion)
		assert.Equal(t, localestest.Later, v.PolicyVersion)
		// location changed and was granted; sensors is new; push is
		// unchanged and keeps its answer.
		assert.Equal(t, []string{"location", "sensors"}, v.Boxes)
		assert.Equal(t, []string{"location", "sensors"}, v.Changed)
		assert.Equal(t, []string{"sensors"}, v.New)
		// location was allowed: its switch shows that answer, marked as
		// the earlier one, so Agree keeps it; sensors is new and off.
		assert.Equal(t, []string{"location"}, v.Ticked, "the earlier answer, not a blank")
		assert.Equal(t, []string{"location"}, v.WasGranted)
		// The data list's change is shown item by item.
		assert.Equal(t, []string{"WLAN scan results"}, v.Added["location"])
		assert.NotContains(t, page, "kc-fact__was", "no struck-through old list")
	})

	t.Run("RecentRefusalWaits", func(t *testing.T) {
		c := cookieValue(t, s, map[string]any{"v": 1, "h": []any{entry(consent.KindAgreed, localestest.Base, now.Add(-time.Hour), "location")}})
		res := do(t, s, req{method: "GET", target: "/consent", cookie: c})
		assert.Equal(t, components.GateCurrent, gateState(t, bodyOf(t, res)).Mode, "a partial agreement is a refusal: 48 hours of quiet")
	})

	t.Run("Reagree", func(t *testing.T) {
		res := do(t, s, req{method: "POST", target: "/consent", cookie: cookie, form: url.Values{"lang": {"en"}, "mode": {"reask"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"sensors"}}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		h := decoded(t, s, appCookie(res).Value)
		require.Len(t, h, 2, "the new decision and the accepted one")
		d := h[0]
		assert.Equal(t, localestest.Later, d.PolicyVersion)
		assert.True(t, d.Granted("push"), "unchanged grant kept")
		assert.False(t, d.Granted("location"), "changed text not re-ticked: refused")
		assert.True(t, d.Granted("sensors"))
		assert.Equal(t, h[1].ReceiptID, accepted["r"])
	})

	t.Run("ErrTickNotReasked", func(t *testing.T) {
		res := do(t, s, req{method: "POST", target: "/consent", cookie: cookie, form: url.Values{"mode": {"reask"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"analytics"}}})
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Nil(t, appCookie(res))
	})
}

func hostStateParam(t *testing.T, st map[string]any) string {
	t.Helper()
	b, err := json.Marshal(st)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestGateHostState(t *testing.T) {
	s := testServer(t)
	good := map[string]any{
		"type": "consent", "decision": "agreed", "policyVersion": localestest.Base, "receiptId": uuid.NewString(),
		"purposes": map[string]bool{"basic": true, "push": false, "wechat-share": true, "location": false, "crash-reports": false, "analytics": false},
		"at":       time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
	}
	t.Run("OK", func(t *testing.T) {
		st := hostStateParam(t, good)
		res := do(t, s, req{method: "GET", target: "/consent?lang=en&state=" + st})
		page := bodyOf(t, res)
		v := gateState(t, page)
		assert.Equal(t, components.GateCurrent, v.Mode)
		assert.Equal(t, st, v.HostState)
		assert.Equal(t, []string{"wechat-share"}, v.Granted)
		// Rendered for the host's state, the page needs nothing of the wasm.
		assert.NotContains(t, page, "data-rendered-for")
		assert.NotContains(t, page, "boot.js")
		assert.NotContains(t, page, `id="kc-state"`)
	})
	bad := func(k string, val any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		m[k] = val
		return m
	}
	for name, st := range map[string]string{
		"ErrNotBase64":       "***",
		"ErrUnknownField":    hostStateParam(t, bad("extra", 1)),
		"ErrUnknownPurpose":  hostStateParam(t, bad("purposes", map[string]bool{"contacts": true})),
		"ErrRequiredRefused": hostStateParam(t, bad("purposes", map[string]bool{"basic": false})),
		"ErrVersion":         hostStateParam(t, bad("policyVersion", "1999-01")),
		"ErrDecision":        hostStateParam(t, bad("decision", "perhaps")),
	} {
		t.Run(name, func(t *testing.T) {
			res := do(t, s, req{method: "GET", target: "/consent?lang=en&state=" + url.QueryEscape(st)})
			v := gateState(t, bodyOf(t, res))
			assert.Equal(t, components.GateAsk, v.Mode)
			assert.Empty(t, v.HostState)
		})
	}
}

// The state a host hands back is the bridge message it received, as it
// was: what the server sends (bridgeMessage) it reads back unchanged, one
// struct for both directions.
func TestGateHostStateIsTheBridgeMessage(t *testing.T) {
	s := testServer(t)
	cat := s.catalogues[localestest.Base]
	d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, time.Now().Add(-time.Hour).Truncate(time.Millisecond))
	require.NoError(t, err)
	sent := consentview.Bridge(appconsent.Decision{Decision: d, ReceiptID: uuid.NewString()})
	b, err := json.Marshal(sent)
	require.NoError(t, err)
	got, err := s.app.ParseHostState(base64.RawURLEncoding.EncodeToString(b), time.Now())
	require.NoError(t, err)
	assert.Equal(t, sent.ReceiptID, got.ReceiptID)
	assert.Equal(t, d.Kind, got.Kind)
	assert.True(t, d.At.Equal(got.At), "sent %v, read %v", d.At, got.At)
	assert.Equal(t, sent, consentview.Bridge(*got), "read back, it is the message sent")
}

// The bridge contract, version 2, end to end on the server: the message
// carries the decision time, the host hands it back, and the 48-hour quiet
// period after a refusal holds under a later policy version; a version 1
// state (no "at") is still read, as an old refusal.
func TestGateBridgeV2QuietPeriod(t *testing.T) {
	s := testServer(t, withLaterPolicy(t))
	now := time.Now()
	declined := func(at time.Time, v int) map[string]any {
		m := map[string]any{
			"type": "consent", "decision": "declined", "policyVersion": localestest.Base, "receiptId": uuid.NewString(),
			"purposes": map[string]bool{"basic": true, "push": false, "wechat-share": false, "location": false, "crash-reports": false, "analytics": false},
		}
		if v > 0 {
			m["v"] = v
		}
		if !at.IsZero() {
			m["at"] = at.UTC().Format(components.BridgeTime)
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		state map[string]any
		mode  string
	}{
		{"V2Within48Hours", declined(now.Add(-47*time.Hour), 2), components.GateCurrent},
		{"V2After48Hours", declined(now.Add(-49*time.Hour), 2), components.GateReask},
		{"V2ExactlyAt48Hours", declined(now.Add(-consent.QuietPeriod-time.Second), 2), components.GateReask},
		{"V1WithoutAtIsAnOldRefusal", declined(time.Time{}, 0), components.GateReask},
		{"V1WithAt", declined(now.Add(-time.Hour), 0), components.GateCurrent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := do(t, s, req{method: "GET", target: "/consent?lang=en&state=" + hostStateParam(t, tc.state)})
			assert.Equal(t, tc.mode, gateState(t, bodyOf(t, res)).Mode)
		})
	}
	t.Run("ErrFutureVersion", func(t *testing.T) {
		res := do(t, s, req{method: "GET", target: "/consent?lang=en&state=" + hostStateParam(t, declined(now.Add(-time.Hour), 3))})
		v := gateState(t, bodyOf(t, res))
		assert.Equal(t, components.GateAsk, v.Mode, "a state of an unknown version is ignored whole")
		assert.Empty(t, v.HostState)
	})
	t.Run("TheMessageRoundTrips", func(t *testing.T) {
		// Decline on the old version's page, hand the done page's message
		// back as the state: the gate under 2026-12 shows the choice.
		old := testServer(t)
		res := do(t, old, req{method: "POST", target: "/consent", form: url.Values{"lang": {"en"}, "action": {"decline"}}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		done := do(t, old, req{method: "GET", target: res.Header.Get("Location"), cookie: appCookie(res).Value})
		raw := scriptJSON(t, bodyOf(t, done), "kc-bridge")
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(raw), &m))
		assert.EqualValues(t, 2, m["v"])
		assert.NotEmpty(t, m["at"])
		st := base64.RawURLEncoding.EncodeToString([]byte(raw))
		page := do(t, s, req{method: "GET", target: "/consent?lang=en&state=" + st})
		assert.Equal(t, components.GateCurrent, gateState(t, bodyOf(t, page)).Mode)
	})
}

// gate.js posts in the background and resends until acknowledged: a resend
// of a stored decision is answered as the first post and stores nothing,
// and the decision is dated at the tap, within what the server knows.
func TestGateBackgroundPost(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	jsonPost := func(t *testing.T, b browser, form url.Values) (*http.Response, components.Outcome[components.GateView]) {
		t.Helper()
		res := do(t, s, req{method: "POST", target: "/consent", form: form, cookie: b.cookie, sub: b.sub, header: map[string]string{"Accept": "application/json"}})
		var out components.Outcome[components.GateView]
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res, out
	}

	t.Run("ResendIsAnsweredAsTheFirst", func(t *testing.T) {
		ticket := pageTicket(t, s, "/consent?lang=en", browser{})
		tk, err := s.creds.ParseTicket(ticket, time.Now())
		require.NoError(t, err)
		time.Sleep(5 * time.Millisecond)
		at := time.Now().Truncate(time.Millisecond) // the tap: after the page, before the post
		form := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}, "ticket": {ticket}, "at": {fmt.Sprint(at.UnixMilli())}}
		first, out := jsonPost(t, browser{}, form)
		require.Equal(t, http.StatusOK, first.StatusCode)
		assert.Equal(t, tk.ReceiptID, out.View.Bridge.ReceiptID)
		assert.Equal(t, at.UTC().Format(components.BridgeTime), out.View.Bridge.At, "dated at the tap")
		rec, err := s.store.Get(ctx, tk.ReceiptID)
		require.NoError(t, err)
		assert.True(t, at.Equal(rec.IssuedAt), "the receipt too: %v", rec.IssuedAt)

		// The answer was lost: the browser holds no cookie and resends.
		again, out2 := jsonPost(t, browser{}, form)
		require.Equal(t, http.StatusOK, again.StatusCode)
		assert.Equal(t, tk.ReceiptID, out2.View.Bridge.ReceiptID)
		assert.Nil(t, subCookie(again), "a resend hands out no subject credential")
		require.NotNil(t, appCookie(again), "but the decision is remembered")
		assert.Equal(t, tk.ReceiptID, decoded(t, s, appCookie(again).Value)[0].ReceiptID)
		tip, err := s.store.Tip(ctx, tk.Subject)
		require.NoError(t, err)
		assert.Equal(t, tk.ReceiptID, tip.ID, "stored once: the chain's head is the first post's")
		assert.Empty(t, tip.PrevHash, "and it is the only receipt")

		// A different choice under a used ticket is a new decision.
		changed := with(form, "action", "decline")
		changed.Del("purpose")
		res, out3 := jsonPost(t, browser{cookie: appCookie(first).Value, sub: subCookie(first).Value}, changed)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.NotEqual(t, tk.ReceiptID, out3.View.Bridge.ReceiptID)
	})

	t.Run("ConcurrentResendsStoreOnce", func(t *testing.T) {
		ticket := pageTicket(t, s, "/consent?lang=en", browser{})
		tk, err := s.creds.ParseTicket(ticket, time.Now())
		require.NoError(t, err)
		form := url.Values{"lang": {"en"}, "action": {"decline"}, "ticket": {ticket}}
		var wg sync.WaitGroup
		ids := make([]string, 4)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, out := jsonPost(t, browser{}, form)
				if out.View.Bridge != nil {
					ids[i] = out.View.Bridge.ReceiptID
				}
			}()
		}
		wg.Wait()
		for _, id := range ids {
			assert.Equal(t, tk.ReceiptID, id)
		}
		tip, err := s.store.Tip(ctx, tk.Subject)
		require.NoError(t, err)
		assert.Empty(t, tip.PrevHash, "one receipt")
	})

	t.Run("TimeWithinWhatTheServerKnows", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			at   func(minted time.Time) time.Time
		}{
			{"BeforeThePageIsThePage", func(m time.Time) time.Time { return m.Add(-time.Hour) }},
			{"FutureIsNow", func(m time.Time) time.Time { return m.Add(time.Hour) }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ticket := pageTicket(t, s, "/consent?lang=en", browser{})
				tk, err := s.creds.ParseTicket(ticket, time.Now())
				require.NoError(t, err)
				before := time.Now().Add(-time.Millisecond)
				_, out := jsonPost(t, browser{}, url.Values{"lang": {"en"}, "action": {"decline"}, "ticket": {ticket}, "at": {fmt.Sprint(tc.at(tk.MintedAt).UnixMilli())}})
				after := time.Now().Add(time.Millisecond)
				got, err := time.Parse(time.RFC3339, out.View.Bridge.At)
				require.NoError(t, err)
				assert.False(t, got.Before(tk.MintedAt), "not before the page was rendered")
				assert.False(t, got.After(after), "not after the post")
				if tc.name == "BeforeThePageIsThePage" {
					assert.True(t, got.Equal(tk.MintedAt))
				} else {
					assert.True(t, !got.Before(before), "now")
				}
			})
		}
	})
}

// A re-ask after a policy change: Disagree refuses only what changed and
// keeps every other answer, as the screen says; Agree needs no 18+ again.
func TestGateReaskAnswers(t *testing.T) {
	s := testServer(t, withLaterPolicy(t))
	now := time.Now()
	for _, tc := range []struct {
		name     string
		granted  []string
		form     url.Values
		kind     consent.Kind
		grants   []consent.PurposeID
		wantPage string
	}{
		{"DisagreeKeepsOtherAnswers", []string{"push", "location"}, url.Values{"action": {"decline"}}, consent.KindWithdrawn, []consent.PurposeID{"push"}, "Staying as they are: Push notifications."},
		{"DisagreeWithNothingOnDeclines", nil, url.Values{"action": {"decline"}}, consent.KindDeclined, nil, "Every other service stays off"},
		{"AgreeWithout18PlusAgain", []string{"push", "location"}, url.Values{"action": {"agree"}, "purpose": {"location"}}, consent.KindAgreed, []consent.PurposeID{"location", "push"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cookie := cookieValue(t, s, map[string]any{"v": 1, "h": []any{entry(consent.KindAgreed, localestest.Base, now.Add(-30*24*time.Hour), tc.granted...)}})
			page := bodyOf(t, do(t, s, req{method: "GET", target: "/consent?lang=en&open=1", cookie: cookie}))
			v := gateState(t, page)
			require.Equal(t, components.GateReask, v.Mode)
			assert.NotContains(t, page, `id="kc-adult"`, "18+ is not asked again")
			assert.Contains(t, page, tc.wantPage)
			if len(tc.granted) > 0 {
				assert.Equal(t, map[string]bool{"push": true, "wechat-share": false, "crash-reports": false, "analytics": false}, v.Current, "gate.js keeps these")
				assert.Contains(t, page, `class="kc-fact kc-fact--changed" data-changed`, "the changed facts are marked")
			}
			form := with(tc.form, "lang", "en", "mode", "reask", "ticket", v.Ticket)
			form["purpose"] = tc.form["purpose"]
			res := do(t, s, req{method: "POST", target: "/consent", form: form, cookie: cookie})
			require.Equal(t, http.StatusSeeOther, res.StatusCode, bodyOf(t, res))
			d := decoded(t, s, appCookie(res).Value)[0]
			if tc.kind == consent.KindWithdrawn {
				// The cookie here is written by the test, so this browser's
				// chain holds no grant of push: its receipt cannot withdraw
				// and says updated (consentreceipt.ConsistentKind). With a
				// real chain it is withdrawn (e2e TestGatePolicyChange).
				assert.Contains(t, []consent.Kind{consent.KindWithdrawn, consent.KindUpdated}, d.Kind)
			} else {
				assert.Equal(t, tc.kind, d.Kind)
			}
			assert.Equal(t, localestest.Later, d.PolicyVersion)
			var on []consent.PurposeID
			for _, c := range d.Choices {
				if c.Granted && !c.Required {
					on = append(on, c.Purpose)
				}
			}
			assert.Equal(t, tc.grants, on)
			assert.Nil(t, d.Confirmed, "nothing confirmed that was not asked")
		})
	}
}

// section returns the markup of the element with id, up to its closing
// tag name: enough to ask what one block of a page says.
func section(t *testing.T, page, id, tag string) string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	require.Positive(t, i, "no #%s", id)
	j := strings.Index(page[i:], "</"+tag+">")
	require.Positive(t, j, "#%s is not closed", id)
	return page[i : i+j]
}

// The gate gives sensitive personal information a notice of its own (PIPL
// arts. 29-30): which items are sensitive, why the policy says each is
// needed and what such information may do to a person, the policy quoted;
// and each SDK says which of its items are sensitive or locate the person.
// The texts come from the catalogue, as CheckPolicy holds them to the
// policy.
func TestGateSensitiveNotice(t *testing.T) {
	s := testServer(t)
	cat := s.catalogues[s.policies.Latest().ID]
	basic, _ := cat.Purpose(consent.SurfaceFirstLaunch, "basic")
	impact, ok := cat.SensitiveImpact()
	require.True(t, ok)
	for _, tt := range []struct {
		lang, phone, location, geo, sensitiveTerm, locationTerm string
	}{
		{"zh-Hans", "中国大陆手机号码", "位置信息", "地理位置", "敏感个人信息", "位置信息"},
		{"en", "Mobile phone number in Chinese Mainland", "location information", "geographic location", "Sensitive personal information", "Location information"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			page := bodyOf(t, do(t, s, req{method: "GET", target: "/consent?lang=" + tt.lang}))
			notice := section(t, page, "kc-gate-sensitive", "details")
			assert.Contains(t, notice, tt.phone, "the basic functions' sensitive item")
			assert.Contains(t, notice, basic.Necessity.Quote.Show(tt.lang), "the policy's necessity statement, quoted")
			assert.Contains(t, notice, impact.Quote.Show(tt.lang), "the policy's statement of the impact, quoted")
			assert.Contains(t, notice, `href="/privacy?lang=`+tt.lang+`#s1-1-3"`)
			assert.Contains(t, notice, `data-purpose="push"`, "an optional SDK that collects sensitive information is named")
			assert.NotContains(t, notice, `data-purpose="analytics"`, "analytics collects nothing the policy calls sensitive")

			push := section(t, page, "kc-p-push-facts", "details")
			assert.Contains(t, push, `data-flag="sensitive"`)
			assert.Contains(t, push, tt.sensitiveTerm)
			assert.Contains(t, push, `data-flag="location"`)
			analytics := section(t, page, "kc-p-analytics-facts", "details")
			assert.NotContains(t, analytics, `data-flag="sensitive"`)
			assert.Contains(t, analytics, `data-flag="location"`)
			assert.Contains(t, analytics, tt.geo)
			crash := section(t, page, "kc-p-crash-reports-facts", "details")
			assert.NotContains(t, crash, `data-flag=`)
		})
	}
}

// TestGatePageNamesEachButtonsDecision: the gate's page data names the
// decision each button makes (#kc-gate "decisions"), which gate.js puts in
// the bridge message at the tap without a rule of its own, for every state
// that asks; and the server, given that button, records that very kind and
// answers with a message that says it, whatever is ticked.
func TestGatePageNamesEachButtonsDecision(t *testing.T) {
	base := testServer(t)
	later := testServer(t, withLaterPolicy(t))
	now := time.Now()
	for _, tc := range []struct {
		name   string
		s      *Server
		target string
		cookie map[string]any // nil: none
		mode   string
		want   map[string]string
		// post: the server records the page's kind for each button. A
		// re-ask's withdrawal is left out: the cookie is written by the
		// test, so no chain holds the grant it keeps, and the receipt says
		// updated (TestBundleOrderSaysWhatTheDeviceSaid has a real one).
		post bool
	}{
		{"FirstLaunch", base, "/consent?lang=en", nil, components.GateAsk,
			map[string]string{"agree": "agreed", "decline": "declined"}, true},
		{"Review", base, "/consent?lang=en&open=1", entry(consent.KindAgreed, localestest.Base, now.Add(-time.Hour), "push"), components.GateAsk,
			map[string]string{"agree": "agreed", "decline": "declined"}, true},
		{"ReaskKeepsAnswers", later, "/consent?lang=en", entry(consent.KindAgreed, localestest.Base, now.Add(-30*24*time.Hour), "push", "location"), components.GateReask,
			map[string]string{"agree": "agreed", "decline": "withdrawn"}, false},
		{"ReaskKeepsNothing", later, "/consent?lang=en", entry(consent.KindAgreed, localestest.Base, now.Add(-30*24*time.Hour), "location"), components.GateReask,
			map[string]string{"agree": "agreed", "decline": "declined"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cookie := ""
			if tc.cookie != nil {
				cookie = cookieValue(t, tc.s, map[string]any{"v": 1, "h": []any{tc.cookie}})
			}
			v := gateState(t, bodyOf(t, do(t, tc.s, req{method: "GET", target: tc.target, cookie: cookie})))
			require.Equal(t, tc.mode, v.Mode)
			assert.Equal(t, tc.want, v.Decisions)
			if !tc.post {
				return
			}
			for action, kind := range tc.want {
				for _, ticked := range [][]string{nil, v.Asked} {
					t.Run(fmt.Sprintf("%s/%dTicked", action, len(ticked)), func(t *testing.T) {
						page := gateState(t, bodyOf(t, do(t, tc.s, req{method: "GET", target: tc.target, cookie: cookie})))
						form := url.Values{"lang": {"en"}, "mode": {tc.mode}, "action": {action}, "adult": {"1"}, "ticket": {page.Ticket}, "purpose": ticked}
						res := do(t, tc.s, req{method: "POST", target: "/consent", form: form, cookie: cookie, header: map[string]string{"Accept": "application/json"}})
						body := bodyOf(t, res)
						require.Equal(t, http.StatusOK, res.StatusCode, body)
						var out components.Outcome[components.GateView]
						require.NoError(t, json.Unmarshal([]byte(body), &out))
						require.NotNil(t, out.View.Bridge)
						assert.Equal(t, kind, out.View.Bridge.Decision)
						assert.Equal(t, consent.Kind(kind), decoded(t, tc.s, appCookie(res).Value)[0].Kind)
					})
				}
			}
		})
	}
}
