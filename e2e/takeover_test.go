package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/kaiconn/consent/server"
)

// statelessOrigin stands for the app's bundle: a second origin that serves
// the server's pages as rendered for a first launch (no state, no cookie),
// whatever the query, as files are served; everything else (styles,
// scripts, the wasm) comes from the server through it.
func statelessOrigin(t testing.TB, srv *server.Server) string {
	t.Helper()
	pages := map[string][]byte{}
	for _, path := range []string{"/consent", "/settings/privacy"} {
		for _, l := range []string{"en", "zh-Hans"} {
			res, err := http.Get(srv.URL() + path + "?lang=" + l)
			require.NoError(t, err)
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, res.StatusCode)
			require.Contains(t, string(b), `data-rendered-for="none"`, "%s is rendered without state", path)
			pages[path+"?"+l] = b
		}
	}
	target, err := url.Parse(srv.URL())
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, ok := pages[r.URL.Path+"?"+r.URL.Query().Get("lang")]; ok && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(b)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL
}

// hostState is the ?state= a host app hands over: its last bridge message.
func hostState(t testing.TB, decision, version string, at time.Time, on ...string) string {
	t.Helper()
	ps := map[string]bool{"basic": true}
	for _, id := range optional {
		ps[id] = slices.Contains(on, id)
	}
	b, err := json.Marshal(map[string]any{"v": 2, "type": "consent", "decision": decision, "policyVersion": version, "purposes": ps,
		"receiptId": "0d6f5b0e-8a52-4c33-9a57-0c7f2f8e2a10", "at": at.UTC().Format("2006-01-02T15:04:05.000Z07:00")})
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// serverPage is the page the server renders for target, for a browser
// without cookies.
func serverPage(t *testing.T, srv *server.Server, target string) string {
	t.Helper()
	res, err := http.Get(srv.URL() + target)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

// serverMain is the <main> the server renders for target.
func serverMain(t *testing.T, srv *server.Server, target string) string {
	t.Helper()
	return canonicalMain(t, serverPage(t, srv, target))
}

var ticketRE = regexp.MustCompile(`t1\.[0-9a-f-]{36}\.[A-Za-z0-9_.-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// canonicalMain writes the <main> of a page as the browser shows it:
// elements with their attributes sorted, runs of white space as one space,
// a bare boolean attribute and its ="" form the same. Tickets and receipt
// ids, minted for every page, are masked.
func canonicalMain(t *testing.T, page string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var main *html.Node
	var find func(n *html.Node)
	find = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "main" {
			main = n
			return
		}
		for c := n.FirstChild; c != nil && main == nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	require.NotNil(t, main, "no <main>")
	var b strings.Builder
	text := ""
	flush := func(depth int) {
		if s := strings.Join(strings.Fields(text), " "); s != "" {
			fmt.Fprintf(&b, "%s%q\n", strings.Repeat("  ", depth), s)
		}
		text = ""
	}
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		switch n.Type {
		case html.TextNode:
			text += n.Data
		case html.ElementNode:
			flush(depth)
			var attrs []string
			for _, a := range n.Attr {
				if a.Key == "data-zone" {
					continue // settings.js names the browser's zone it showed a time in
				}
				attrs = append(attrs, a.Key+"="+a.Val)
			}
			slices.Sort(attrs)
			fmt.Fprintf(&b, "%s<%s %s>\n", strings.Repeat("  ", depth), n.Data, strings.Join(attrs, " "))
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c, depth+1)
			}
			flush(depth + 1)
		}
	}
	walk(main, 0)
	return ticketRE.ReplaceAllString(b.String(), "ID")
}

// shownMain is the page's <main> as the browser holds it now.
func shownMain(t *testing.T, ctx context.Context) string {
	t.Helper()
	// A tick box shows its checked property, which a component sets
	// without the attribute: the copy carries it as the attribute.
	return canonicalMain(t, eval[string](t, ctx, `(() => {
  const m = document.getElementById("main"), c = m.cloneNode(true), boxes = c.querySelectorAll("input");
  m.querySelectorAll("input").forEach((b, i) => b.checked ? boxes[i].setAttribute("checked", "") : boxes[i].removeAttribute("checked"));
  return c.outerHTML;
})()`))
}

// A page rendered without state, handed the host's state: the wasm shows
// what the server shows for that state, element for element, and the page
// works from there.
func TestStatelessPagesShowTheHostState(t *testing.T) {
	now := time.Now()
	t.Run("GateReaskUnderANewerPolicy", func(t *testing.T) {
		cat, pol := laterPolicy(t)
		srv := startServer(t, func(c *server.Config) { c.CatalogueFS, c.PolicyFS = cat, pol })
		origin := statelessOrigin(t, srv)
		st := hostState(t, "agreed", "2022-10", now.Add(-72*time.Hour), "location", "push")
		ctx := hostTab(t, "android")
		do(t, ctx, chromedp.Navigate(origin+"/consent?lang=en&state="+st), waitWasm(),
			chromedp.WaitVisible(chromedp.CSS(`main[data-mode="reask"] #kc-agree`)))
		assert.Equal(t, serverMain(t, srv, "/consent?lang=en&state="+st), shownMain(t, ctx))
		assert.True(t, eval[bool](t, ctx, `document.getElementById("kc-p-location").checked`), "a changed purpose the person allowed starts on")
		assert.False(t, eval[bool](t, ctx, `document.getElementById("kc-p-sensors").checked`), "a new purpose starts off")
		assert.Contains(t, serverPage(t, srv, "/consent?lang=en&state="+st), "<title>"+html.EscapeString(eval[string](t, ctx, `document.title`))+"</title>")
		// gate.js took the new form: Agree keeps what the re-ask keeps.
		do(t, ctx, chromedp.Click(chromedp.ID("kc-agree")), chromedp.WaitVisible(chromedp.ID("kc-gate-done")))
		ms := messages(t, ctx)
		require.Len(t, ms, 1)
		assert.Equal(t, "agreed", ms[0].Decision)
		assert.Equal(t, "2026-12", ms[0].PolicyVersion)
		assert.Equal(t, map[string]bool{"basic": true, "push": true, "wechat-share": false, "location": true, "crash-reports": false, "analytics": false, "sensors": false}, ms[0].Purposes)
	})
	t.Run("GateCurrentChoice", func(t *testing.T) {
		srv := startServer(t)
		origin := statelessOrigin(t, srv)
		for _, l := range []string{"en", "zh-Hans"} {
			st := hostState(t, "agreed", "2022-10", now.Add(-time.Hour), "push", "analytics")
			ctx := hostTab(t, "ios")
			do(t, ctx, chromedp.Navigate(origin+"/consent?lang="+l+"&state="+st), waitWasm(),
				chromedp.WaitVisible(chromedp.CSS(`main[data-mode="current"] #kc-granted`)))
			assert.Equal(t, serverMain(t, srv, "/consent?lang="+l+"&state="+st), shownMain(t, ctx), l)
			assert.Equal(t, []string{"push", "analytics"}, eval[[]string](t, ctx, `[...document.querySelectorAll("#kc-granted li[data-purpose]")].map(li => li.dataset.purpose)`))
			assert.Empty(t, messages(t, ctx), "showing the current choice sends nothing")
		}
	})
	// The tap never waits for the wasm: a decision taken on the
	// first-launch view before the wasm's view arrives stands, and the
	// wasm's view does not replace its result.
	t.Run("GateDecidedBeforeTheWasm", func(t *testing.T) {
		srv := startServer(t)
		origin := statelessOrigin(t, srv)
		st := hostState(t, "agreed", "2022-10", now.Add(-time.Hour), "push")
		ctx := hostTab(t, "android")
		do(t, ctx, call(emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: 4}),
			chromedp.Navigate(origin+"/consent?lang=en&state="+st), chromedp.WaitReady(chromedp.CSS(`html[data-gate="ready"]`)))
		require.NotEqual(t, "ready", eval[string](t, ctx, `document.documentElement.dataset.wasm`), "the wasm was quicker than the tap")
		do(t, ctx, chromedp.Click(chromedp.ID("kc-disagree")), chromedp.WaitVisible(chromedp.ID("kc-gate-done")))
		do(t, ctx, waitWasm())
		assert.Equal(t, "done", eval[string](t, ctx, `document.getElementById("main").dataset.mode`))
		ms := messages(t, ctx)
		require.Len(t, ms, 1)
		assert.Equal(t, "declined", ms[0].Decision)
	})
	t.Run("GateFirstLaunchLoadsNoWasm", func(t *testing.T) {
		srv := startServer(t)
		origin := statelessOrigin(t, srv)
		ctx := hostTab(t, "android")
		do(t, ctx, chromedp.Navigate(origin+"/consent?lang=en"), chromedp.WaitVisible(chromedp.ID("kc-disagree")),
			chromedp.WaitReady(chromedp.CSS(`html[data-gate="ready"]`)))
		assert.Equal(t, "off", eval[string](t, ctx, `document.documentElement.dataset.wasm`))
		assert.Equal(t, 0, eval[int](t, ctx, `performance.getEntriesByType("resource").filter(e => /\.wasm|wasm_exec/.test(e.name)).length`))
	})
	t.Run("Settings", func(t *testing.T) {
		srv := startServer(t)
		origin := statelessOrigin(t, srv)
		for _, tc := range []struct {
			name, decision string
			on             []string
		}{
			{"Agreed", "agreed", []string{"location"}},
			{"Declined", "declined", nil},
			{"Withdrawn", "withdrawn", []string{"push", "crash-reports"}},
		} {
			for _, l := range []string{"en", "zh-Hans"} {
				st := hostState(t, tc.decision, "2022-10", now.Add(-time.Hour), tc.on...)
				ctx := hostTab(t, "android")
				// The zone the server shows a reader of l (settings.js shows
				// times in the browser's).
				setZone(t, ctx, map[string]string{"en": "UTC", "zh-Hans": "Asia/Shanghai"}[l])
				do(t, ctx, chromedp.Navigate(origin+"/settings/privacy?lang="+l+"&state="+st), waitWasm(),
					chromedp.WaitReady(chromedp.CSS(`#main[data-decided="yes"]`)))
				assert.Equal(t, serverMain(t, srv, "/settings/privacy?lang="+l+"&state="+st), shownMain(t, ctx), tc.name+"/"+l)
				var shown []string
				for _, id := range optional {
					if eval[bool](t, ctx, `document.getElementById("kc-p-`+id+`").checked`) {
						shown = append(shown, id)
					}
				}
				assert.Equal(t, tc.on, shown, "%s/%s: the switches the host says are allowed are on", tc.name, l)
			}
		}
	})
}
