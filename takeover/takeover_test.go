//go:build !wasm

package takeover_test

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	xhtml "golang.org/x/net/html"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/datadir"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/server"
	"github.com/kaiconn/consent/takeover"
)

// world is a server with the base policy version and, when later is set,
// the fictitious later version of testdata as the latest (localestest); cats are the same
// catalogues as the wasm holds them (consentview.Catalogues).
type world struct {
	h        http.Handler
	cats     *consentview.Catalogues
	versions []string // the server's policy versions
}

func newWorld(t *testing.T, later bool) world {
	t.Helper()
	versions := []string{localestest.Base}
	if later {
		versions = append(versions, localestest.Later)
	}
	cat, pol := localestest.Catalogues(t, versions...), localestest.Policy(t, versions...)
	cfg := server.Config{DataDir: t.TempDir(), WebDir: t.TempDir(), UserAgreementURL: "https://example.com/agreement", CatalogueFS: cat, PolicyFS: pol}
	data, err := datadir.Open(datadir.Config{Dir: cfg.DataDir}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { data.Close() })
	s, err := server.New(cfg, server.Deps{Store: data.Store, Keys: data.Keys, CookieKey: data.CookieKey}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	c := &consentview.Catalogues{ByVersion: map[string]*consent.Catalogue{}}
	for _, v := range versions {
		if cc, err := consent.LoadCatalogue(cat, v); err == nil {
			c.ByVersion[v] = cc
			c.Latest = cc
		}
	}
	return world{h: s.Handler(), cats: c, versions: versions}
}

func (w world) get(t *testing.T, target string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	require.Equal(t, http.StatusOK, rec.Code, target)
	b, err := io.ReadAll(rec.Body)
	require.NoError(t, err)
	return string(b)
}

var scriptRE = regexp.MustCompile(`(?s)<script id="([^"]+)" type="application/json">(.*?)</script>`)

// script is the JSON of the page's <script id=id>, "" when it has none.
func script(page, id string) string {
	for _, m := range scriptRE.FindAllStringSubmatch(page, -1) {
		if m[1] == id {
			return m[2]
		}
	}
	return ""
}

// mainOf is the page's <main> element as the server wrote it.
func mainOf(t *testing.T, page string) string {
	t.Helper()
	i, j := strings.Index(page, "<main"), strings.Index(page, "</main>")
	require.True(t, i >= 0 && j > i, "no <main>")
	return page[i : j+len("</main>")]
}

// masked puts placeholders for a page's ticket and receipt id, minted anew
// for every page the server renders.
func masked(s, ticket, receiptID string) string {
	if ticket != "" {
		s = strings.ReplaceAll(s, ticket, "TICKET")
	}
	if receiptID != "" {
		s = strings.ReplaceAll(s, receiptID, "RECEIPT")
	}
	return s
}

func state(t *testing.T, decision, version string, at time.Time, on ...string) string {
	t.Helper()
	ps := map[string]bool{"basic": true, "push": false, "wechat-share": false, "location": false, "crash-reports": false, "analytics": false}
	for _, id := range on {
		ps[id] = true
	}
	b, err := json.Marshal(map[string]any{"v": 2, "type": "consent", "decision": decision, "policyVersion": version, "purposes": ps,
		"receiptId": "0d6f5b0e-8a52-4c33-9a57-0c7f2f8e2a10", "at": at.UTC().Format(consentview.BridgeTime)})
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// The gate the wasm renders for the host's state on a page rendered
// without state is, byte for byte, the gate the server renders for that
// state: the same view model (consentview) through the same templ view
// (views/gate), from the page's data and the catalogues alone.
func TestGateSameAsServer(t *testing.T) {
	now := time.Now()
	for name, tc := range map[string]struct {
		later bool
		state func(t *testing.T) string
		open  bool
		mode  string
	}{
		"Standing": {state: func(t *testing.T) string {
			return state(t, "agreed", localestest.Base, now.Add(-time.Hour), "push", "analytics")
		}, mode: consentview.GateCurrent},
		"Declined": {state: func(t *testing.T) string { return state(t, "declined", localestest.Base, now.Add(-72*time.Hour)) }, mode: consentview.GateCurrent},
		"Review": {state: func(t *testing.T) string {
			return state(t, "agreed", localestest.Base, now.Add(-time.Hour), "location")
		}, open: true, mode: consentview.GateAsk},
		"Reask": {later: true, state: func(t *testing.T) string {
			return state(t, "agreed", localestest.Base, now.Add(-72*time.Hour), "location", "push")
		}, mode: consentview.GateReask},
		"QuietPeriod": {later: true, state: func(t *testing.T) string { return state(t, "declined", localestest.Base, now.Add(-time.Hour)) }, mode: consentview.GateCurrent},
	} {
		for _, l := range []string{"en", "zh-Hans"} {
			t.Run(name+"/"+l, func(t *testing.T) {
				w := newWorld(t, tc.later)
				st := tc.state(t)
				stateless := w.get(t, "/consent?lang="+l)
				var page consentview.GateView
				require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(script(stateless, "kc-state"))), &page))
				q := "/consent?lang=" + l + "&state=" + st
				if tc.open {
					q += "&open=1"
				}
				server := w.get(t, q)

				// A server on the policy versions the wasm was built with
				// (the shipped ones): the wasm's own catalogues; on any
				// other set, the page hands the wasm the server's.
				assert.Equal(t, !slices.Equal(w.versions, localestest.Shipped(t)), len(page.Catalogues) > 0)
				cats, err := takeover.Catalogues(page.Catalogues)
				require.NoError(t, err)
				v, ok := takeover.Gate(cats, page, st, tc.open, now)
				require.True(t, ok)
				assert.Equal(t, tc.mode, v.Mode)
				got, err := takeover.RenderGate(v, page.Strings)
				require.NoError(t, err)

				var want consentview.GateScript
				if s := script(server, "kc-gate"); s != "" {
					require.NoError(t, json.Unmarshal([]byte(s), &want))
				}
				assert.Equal(t, masked(mainOf(t, server), want.Ticket, want.ReceiptID), masked(got.Main, page.Ticket, page.ReceiptID))
				if want.Mode == "" {
					assert.Nil(t, got.Script, "a view that asks nothing gives gate.js nothing")
				} else {
					var gotScript consentview.GateScript
					require.NoError(t, json.Unmarshal(got.Script, &gotScript))
					assert.Equal(t, page.Ticket, gotScript.Ticket, "the decision is recorded under the page's ticket")
					gotScript.Ticket, gotScript.ReceiptID, want.Ticket, want.ReceiptID = "", "", "", ""
					assert.Equal(t, want, gotScript)
				}
				assert.Contains(t, server, "<title>"+got.Title+" · ")
			})
		}
	}
}

// Where the server would ignore the state, or the page was rendered for
// one, the wasm leaves the page as it is.
func TestGateLeavesThePage(t *testing.T) {
	w := newWorld(t, false)
	stateless := w.get(t, "/consent?lang=en")
	var page consentview.GateView
	require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(script(stateless, "kc-state"))), &page))
	good := state(t, "agreed", localestest.Base, time.Now().Add(-time.Hour), "push")
	for name, tc := range map[string]struct {
		page   func() consentview.GateView
		state  string
		noCats bool // the wasm could not read its catalogues
	}{
		"NoState":       {page: func() consentview.GateView { return page }, state: ""},
		"InvalidState":  {page: func() consentview.GateView { return page }, state: "e30"},
		"RenderedFor":   {page: func() consentview.GateView { p := page; p.RenderedFor = ""; return p }, state: good},
		"OtherVersion":  {page: func() consentview.GateView { p := page; p.PolicyVersion = "2026-12"; return p }, state: good},
		"NoCatalogues":  {page: func() consentview.GateView { return page }, state: good, noCats: true},
		"FutureDecided": {page: func() consentview.GateView { return page }, state: state(t, "agreed", localestest.Base, time.Now().Add(time.Hour), "push")},
	} {
		t.Run(name, func(t *testing.T) {
			cats := w.cats
			if tc.noCats {
				cats = nil
			}
			_, ok := takeover.Gate(cats, tc.page(), tc.state, false, time.Now())
			assert.False(t, ok)
		})
	}
}

// The settings' state the wasm hands the go-app component is the state
// the server renders the page from for the host's state, strings and all.
func TestSettingsSameAsServer(t *testing.T) {
	now := time.Now()
	for _, l := range []string{"en", "zh-Hans"} {
		t.Run(l, func(t *testing.T) {
			w := newWorld(t, false)
			st := state(t, "agreed", localestest.Base, now.Add(-time.Hour), "location")
			var page, want consentview.SettingsView
			require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(script(w.get(t, "/settings/privacy?lang="+l), "kc-state"))), &page))
			require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(script(w.get(t, "/settings/privacy?lang="+l+"&state="+st), "kc-state"))), &want))
			assert.Equal(t, consentview.RenderedNone, page.RenderedFor)
			got, ok := takeover.Settings(w.cats, page, st, now)
			require.True(t, ok)
			// The ticket is minted per page, and the catalogues are the
			// page data a stateless page hands the wasm, not markup.
			got.Ticket, want.Ticket = "", ""
			got.Catalogues, want.Catalogues = nil, nil
			assert.Equal(t, want, got)
			on := map[string]bool{}
			for _, p := range got.Optional {
				on[p.ID] = p.Granted
			}
			assert.True(t, on["location"], "the switch the host says is allowed is on")
		})
	}
}

// A bundle page built for the base version, handed the later version's
// catalogues (the bundle fetched and checked them), shows the gate the
// later server renders for the same state: the first launch's ask without
// a state, the re-ask with one.
func TestNewerSameAsServer(t *testing.T) {
	now := time.Now()
	old, later := newWorld(t, false), newWorld(t, true)
	for name, tc := range map[string]struct {
		state func(t *testing.T) string
		mode  string
	}{
		"FirstLaunch": {state: func(*testing.T) string { return "" }, mode: consentview.GateAsk},
		"Reask": {state: func(t *testing.T) string {
			return state(t, "agreed", localestest.Base, now.Add(-72*time.Hour), "location", "push")
		}, mode: consentview.GateReask},
	} {
		for _, l := range []string{"en", "zh-Hans"} {
			t.Run(name+"/"+l, func(t *testing.T) {
				st := tc.state(t)
				var page consentview.GateView
				require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(script(old.get(t, "/consent?lang="+l), "kc-state"))), &page))
				require.Equal(t, localestest.Base, page.PolicyVersion)
				q := "/consent?lang=" + l
				if st != "" {
					q += "&state=" + st
				}
				server := later.get(t, q)

				v, ok := takeover.Newer(later.cats, page, st, false, now)
				require.True(t, ok)
				assert.Equal(t, tc.mode, v.Mode)
				assert.Equal(t, localestest.Later, v.PolicyVersion, "the decision is taken under the version shown")
				got, err := takeover.RenderGate(v, page.Strings)
				require.NoError(t, err)
				var want consentview.GateScript
				require.NoError(t, json.Unmarshal([]byte(script(server, "kc-gate")), &want))
				assert.Equal(t, masked(mainOf(t, server), want.Ticket, want.ReceiptID), masked(got.Main, page.Ticket, page.ReceiptID))
			})
		}
	}
	t.Run("LeavesThePage", func(t *testing.T) {
		var page consentview.GateView
		require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(script(old.get(t, "/consent?lang=en"), "kc-state"))), &page))
		for name, tc := range map[string]struct {
			cats  *consentview.Catalogues
			state string
		}{
			"NotNewer":     {cats: old.cats},
			"NoCatalogues": {},
			"InvalidState": {cats: later.cats, state: "e30"},
		} {
			t.Run(name, func(t *testing.T) {
				_, ok := takeover.Newer(tc.cats, page, tc.state, false, now)
				assert.False(t, ok)
			})
		}
	})
}

// kept returns the markup of the element with id in page, byte for byte
// as the server wrote it.
func kept(t *testing.T, page, id string) string {
	t.Helper()
	z := xhtml.NewTokenizer(strings.NewReader(page))
	offset, start, depth := 0, -1, 0
	var name string
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			require.Fail(t, "no element", "#%s", id)
			return ""
		}
		raw := len(z.Raw())
		tok := z.Token()
		switch {
		case start < 0 && tt == xhtml.StartTagToken && slices.ContainsFunc(tok.Attr, func(a xhtml.Attribute) bool { return a.Key == "id" && a.Val == id }):
			start, name, depth = offset, tok.Data, 1
		case start >= 0 && tt == xhtml.StartTagToken && tok.Data == name:
			depth++
		case start >= 0 && tt == xhtml.EndTagToken && tok.Data == name:
			depth--
			if depth == 0 {
				return page[start : offset+raw]
			}
		}
		offset += raw
	}
}

// The settings the wasm renders for the host's state on a page rendered
// without state are, byte for byte, the <main> the server renders for
// that state: the same view model (consentview) through the same templ
// view (views/settingsview), the page's parts no choice changes put back
// in their placeholders.
func TestRenderSettingsSameAsServer(t *testing.T) {
	now := time.Now()
	for name, tc := range map[string]func(t *testing.T) string{
		"Agreed": func(t *testing.T) string {
			return state(t, "agreed", localestest.Base, now.Add(-time.Hour), "location")
		},
		"AllOn": func(t *testing.T) string {
			return state(t, "agreed", localestest.Base, now.Add(-time.Hour), "push", "wechat-share", "location", "crash-reports", "analytics")
		},
		"Declined": func(t *testing.T) string { return state(t, "declined", localestest.Base, now.Add(-72*time.Hour)) },
		"Withdrawn": func(t *testing.T) string {
			return state(t, "withdrawn", localestest.Base, now.Add(-time.Minute))
		},
	} {
		for _, l := range []string{"en", "zh-Hans"} {
			t.Run(name+"/"+l, func(t *testing.T) {
				w := newWorld(t, false)
				st := tc(t)
				var page, want consentview.SettingsView
				stateless := w.get(t, "/settings/privacy?lang="+l)
				require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(script(stateless, "kc-state"))), &page))
				server := w.get(t, "/settings/privacy?lang="+l+"&state="+st)
				require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(script(server, "kc-state"))), &want))

				v, ok := takeover.Settings(w.cats, page, st, now)
				require.True(t, ok)
				got, err := takeover.RenderSettings(v, page.Strings)
				require.NoError(t, err)
				assert.Equal(t, []string{"kc-settings-nav", "kc-rights", "kc-contact", "kc-shared"}, got.Keep)
				main := got.Main
				for _, id := range got.Keep {
					slot := `<template data-kc-keep="` + id + `"></template>`
					require.Equal(t, 1, strings.Count(main, slot), "one placeholder for #%s", id)
					// The bundle page's own part: no choice changes it.
					main = strings.Replace(main, slot, kept(t, stateless, id), 1)
				}
				assert.Equal(t, masked(mainOf(t, server), want.Ticket, ""), masked(main, page.Ticket, ""))
				assert.Contains(t, server, "<title>"+got.Title+" · ")
			})
		}
	}
	// The page as the server rendered it for no state is what the wasm
	// renders for the same view: a check of the comparison itself.
	t.Run("NoState", func(t *testing.T) {
		w := newWorld(t, false)
		stateless := w.get(t, "/settings/privacy?lang=en")
		var page consentview.SettingsView
		require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(script(stateless, "kc-state"))), &page))
		got, err := takeover.RenderSettings(page, page.Strings)
		require.NoError(t, err)
		main := got.Main
		for _, id := range got.Keep {
			main = strings.Replace(main, `<template data-kc-keep="`+id+`"></template>`, kept(t, stateless, id), 1)
		}
		assert.Equal(t, mainOf(t, stateless), main)
	})
}
