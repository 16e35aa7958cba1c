package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/server"
)

// consentFront stands in front of a consent server as the network between
// the app and it: it forwards to the server once one is set, and may
// rewrite the newer policy's texts on their way (a cache or a proxy that
// tampers with them). Close is the server going out of reach.
type consentFront struct {
	*httptest.Server
	to     atomic.Pointer[httputil.ReverseProxy]
	tamper bool
}

func newConsentFront(t *testing.T, tamper bool) *consentFront {
	t.Helper()
	f := &consentFront{tamper: tamper}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := f.to.Load()
		if p == nil {
			http.Error(w, "no server yet", http.StatusBadGateway)
			return
		}
		p.ServeHTTP(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

// forward sends every request on to the consent server at base.
func (f *consentFront) forward(t *testing.T, base string) {
	u, err := url.Parse(base)
	require.NoError(t, err)
	p := httputil.NewSingleHostReverseProxy(u)
	direct := p.Director
	p.Director = func(r *http.Request) {
		direct(r)
		r.Header.Del("Accept-Encoding") // the texts as they are, to rewrite
	}
	p.ModifyResponse = func(res *http.Response) error {
		if !f.tamper || !strings.HasSuffix(res.Request.URL.Path, "/catalogues.json") {
			return nil
		}
		body, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		res.Body.Close()
		// One purpose now says it collects more than the server's text.
		body = bytes.Replace(body, []byte(`"collects":{"en":"`), []byte(`"collects":{"en":"Contacts, `), 1)
		res.Body = io.NopCloser(bytes.NewReader(body))
		res.ContentLength = int64(len(body))
		res.Header.Set("Content-Length", strconv.Itoa(len(body)))
		return nil
	}
	f.to.Store(p)
}

// TestBundleNewerPolicy: a newer policy on the server reaches a bundle
// built for the older one. Its gate shows the re-ask with the newer
// version's texts, rendered by the wasm, without leaving the bundle; the
// decision is taken, signed and stored under the version shown; and with
// the server out of reach and the page loaded again, the kept texts are
// shown again. Texts that do not match the hash the server names are
// neither shown nor kept.
func TestBundleNewerPolicy(t *testing.T) {
	cat, pol := withLaterPolicy(t)
	state := hostState(t, "agreed", localestest.Base, time.Now().Add(-72*time.Hour), "location", "push")

	t.Run("ShownKeptOffline", func(t *testing.T) {
		front := newConsentFront(t, false)
		assets, m := appAssets(t, front.URL)
		require.Equal(t, localestest.Base, m.PolicyVersion, "the bundle is built from the embedded policy, not the server's")
		srv := startServer(t, func(c *server.Config) {
			c.CatalogueFS, c.PolicyFS = cat, pol
			c.AllowedOrigins = []string{assets.URL}
		})
		front.forward(t, srv.URL())
		ctx, log := freshTab(t)
		logConsole(t, ctx)
		do(t, ctx, call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hosts["android"]}))
		gate := assets.URL + "/consent/en.html?lang=en&state=" + state

		do(t, ctx, chromedp.Navigate(gate))
		waitFor(t, ctx, `document.documentElement.getAttribute("data-policy-shown") === "`+localestest.Later+`"`)
		assert.Equal(t, assets.URL, eval[string](t, ctx, `location.origin`), "the bundle's own page, not the server's")
		assert.Equal(t, "reask", eval[string](t, ctx, `document.getElementById("main").getAttribute("data-mode")`))
		assert.Equal(t, localestest.Later, eval[string](t, ctx, `JSON.parse(document.getElementById("kc-gate").textContent).policyVersion`))
		assert.Equal(t, localestest.Later, eval[string](t, ctx, `JSON.parse(localStorage.getItem("kc_bundle_policy")).version`), "kept for offline use")
		assert.Equal(t, serverText(t, srv.URL(), "/consent?lang=en&state="+state), eval[string](t, ctx, `document.getElementById("main").innerText`),
			"the texts the server shows for its version")

		// The decision on the newer texts is recorded under their version.
		waitFor(t, ctx, `document.documentElement.getAttribute("data-gate") === "ready"`)
		do(t, ctx, chromedp.Click(chromedp.ID("kc-disagree")))
		got := messages(t, ctx)
		require.Len(t, got, 1)
		assert.Equal(t, localestest.Later, got[0].PolicyVersion)
		waitFor(t, ctx, `document.documentElement.getAttribute("data-bundle-receipt") === "signed"`)
		waitForStatus(t, srv.URL(), got[0].ReceiptID)

		// The server goes out of reach, and the browser's HTTP cache is
		// emptied: the next start shows the texts kept in localStorage.
		front.Close()
		do(t, ctx, call(network.ClearBrowserCache, cdp.Empty{}), chromedp.Navigate(gate))
		waitFor(t, ctx, `document.documentElement.getAttribute("data-policy-shown") === "`+localestest.Later+`"`)
		assert.Equal(t, "reask", eval[string](t, ctx, `document.getElementById("main").getAttribute("data-mode")`))
		assert.Equal(t, localestest.Later, eval[string](t, ctx, `JSON.parse(document.getElementById("kc-gate").textContent).policyVersion`))
		assert.NotEqual(t, "newer", eval[string](t, ctx, `document.documentElement.getAttribute("data-policy") || ""`), "the server was not asked successfully")
		for _, o := range log.origins() {
			assert.Contains(t, []string{assets.URL, front.URL}, o, "a request to another origin")
		}
	})

	// The bundle's settings show the newer version too, rendered by the
	// worker from the checked texts, and a change there is decided, signed
	// and stored under it, its receipt naming the settings' notice the
	// server named beside the texts.
	t.Run("Settings", func(t *testing.T) {
		front := newConsentFront(t, false)
		assets, m := appAssets(t, front.URL)
		srv := startServer(t, func(c *server.Config) {
			c.CatalogueFS, c.PolicyFS = cat, pol
			c.AllowedOrigins = []string{assets.URL}
		})
		front.forward(t, srv.URL())
		ctx, _ := freshTab(t)
		logConsole(t, ctx)
		do(t, ctx, call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hosts["android"]}))
		do(t, ctx, chromedp.Navigate(assets.URL+"/"+m.Entries["settings"]+"?lang=en&state="+state))
		waitFor(t, ctx, `document.documentElement.getAttribute("data-policy-shown") === "`+localestest.Later+`"`)
		assert.Equal(t, assets.URL, eval[string](t, ctx, `location.origin`))
		assert.True(t, eval[bool](t, ctx, `!!document.getElementById("kc-p-sensors") && !document.getElementById("kc-p-sensors").checked`), "the newer version's new purpose, off")
		assert.True(t, eval[bool](t, ctx, `document.getElementById("kc-p-location").checked && document.getElementById("kc-p-push").checked`), "the host's answers")
		assert.True(t, eval[bool](t, ctx, `!!document.getElementById("kc-summary-newer")`), "the version in force, with the link to review it")

		do(t, ctx, chromedp.Click(chromedp.ID("kc-p-sensors")), chromedp.Click(chromedp.ID("kc-save")))
		waitFor(t, ctx, `(window.__kcMessages || []).length === 1`)
		got := messages(t, ctx)
		assert.Equal(t, localestest.Later, got[0].PolicyVersion, "decided under the version shown")
		assert.True(t, got[0].Purposes["sensors"])
		assert.True(t, got[0].Purposes["location"])
		waitFor(t, ctx, `document.documentElement.getAttribute("data-bundle-receipt") === "signed"`)
		waitForStatus(t, srv.URL(), got[0].ReceiptID)
	})

	t.Run("TamperedRefused", func(t *testing.T) {
		front := newConsentFront(t, true)
		assets, _ := appAssets(t, front.URL)
		srv := startServer(t, func(c *server.Config) { c.CatalogueFS, c.PolicyFS = cat, pol })
		front.forward(t, srv.URL())
		ctx, _ := freshTab(t)
		logConsole(t, ctx)
		do(t, ctx, chromedp.Navigate(assets.URL+"/consent/en.html?lang=en&state="+state))
		waitFor(t, ctx, `document.documentElement.getAttribute("data-policy") === "refused"`)
		assert.False(t, eval[bool](t, ctx, `document.documentElement.hasAttribute("data-policy-shown")`))
		assert.Equal(t, localestest.Base, eval[string](t, ctx, `JSON.parse(document.getElementById("kc-gate").textContent).policyVersion`),
			"the bundle's own version stands")
		assert.NotContains(t, eval[string](t, ctx, `document.getElementById("main").innerText`), "Contacts, ")
		assert.True(t, eval[bool](t, ctx, `localStorage.getItem("kc_bundle_policy") === null`), "not kept")
	})
}

// serverText is the text of the <main> of the server's own page at target,
// as a browser shows it.
func serverText(t *testing.T, base, target string) string {
	t.Helper()
	ctx, _ := freshTab(t)
	do(t, ctx, chromedp.Navigate(base+target+"&wasm=false"))
	return eval[string](t, ctx, `document.getElementById("main").innerText`)
}

// logConsole logs the page's console and exceptions, to tell why a wait
// ran out.
func logConsole(t *testing.T, ctx context.Context) {
	t.Helper()
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			for _, a := range e.Args {
				t.Logf("console.%s: %s %s", e.Type, a.Value, a.Description)
			}
		case *runtime.EventExceptionThrown:
			t.Logf("exception: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception)
		}
	}))
	do(t, ctx, call(runtime.Enable, cdp.Empty{}))
}

// TestBundleGateHostState: on the bundle's gate, the view the wasm renders
// for the host's state (the review link here) takes the receipt id the
// bundle made on the device, so that its tap sends the bridge message.
func TestBundleGateHostState(t *testing.T) {
	assets, _ := appAssets(t, "http://127.0.0.1:9") // no server needed
	ctx, _ := freshTab(t)
	do(t, ctx, call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hosts["android"]}))
	st := hostState(t, "declined", localestest.Base, time.Now().Add(-72*time.Hour))
	do(t, ctx, chromedp.Navigate(assets.URL+"/consent/en.html?lang=en&open=1&state="+st))
	waitFor(t, ctx, `document.documentElement.getAttribute("data-wasm") === "ready"`)
	require.Empty(t, eval[string](t, ctx, `document.getElementById("main").getAttribute("data-rendered-for") || ""`), "the wasm's view of the state")
	waitFor(t, ctx, `document.documentElement.getAttribute("data-gate") === "ready"`)
	do(t, ctx, chromedp.Click(chromedp.ID("kc-disagree")))
	got := messages(t, ctx)
	require.Len(t, got, 1, "the tap sends its message")
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, got[0].ReceiptID, "the id made on the device")
}
