package e2e

import (
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The wasm loads where it pays (issue 11): only on the settings, after the
// page is idle, at once on the intent to use an enhanced control, never
// under Save-Data or on 2G, on 3G only on intent, and once per release per
// browser. The policy and its lists never load it: reader.js enhances them.

// connection makes navigator.connection say what a slow or metered
// connection says, before any script of the page runs.
func connection(saveData bool, effectiveType string) chromedp.Action[chromedp.Void] {
	src := `Object.defineProperty(Navigator.prototype, "connection", {configurable: true, get: function () {
		return {saveData: ` + map[bool]string{true: "true", false: "false"}[saveData] + `, effectiveType: "` + effectiveType + `"};
	}});`
	return call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: src})
}

// idledTwice is true once the page has been idle twice after its load
// event: later than boot.js's own idle callback would have started the
// wasm. Waiting for it replaces a sleep.
const idledTwice = `window.__kcIdled === 2`

var markIdle = call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
	window.__kcIdled = 0;
	window.addEventListener("load", function () {
		setTimeout(function () {
			requestIdleCallback(function () {
				window.__kcIdled = 1;
				requestIdleCallback(function () { window.__kcIdled = 2; }, {timeout: 5000});
			}, {timeout: 5000});
		}, 0);
	});`})

// wasmFetches lists the requests for app.wasm a tab made.
func wasmFetches(log *requestLog) []string {
	var out []string
	for _, u := range log.wasm() {
		if strings.Contains(u, ".wasm") {
			out = append(out, u)
		}
	}
	return out
}

func TestWasmLoadsWhereItPays(t *testing.T) {
	srv := startServer(t)

	t.Run("IdleLoadsIt", func(t *testing.T) {
		ctx, log := freshTab(t)
		do(t, ctx, chromedp.Navigate(srv.URL()+"/settings/privacy?lang=en"), waitWasm())
		assert.Len(t, wasmFetches(log), 1)
	})

	t.Run("DocumentsNever", func(t *testing.T) {
		for _, page := range []string{"/privacy?lang=en", "/privacy?lang=zh-Hans&view=bilingual", "/privacy/collected?lang=en", "/privacy/shared?lang=zh-Hans"} {
			t.Run(page, func(t *testing.T) {
				ctx, log := freshTab(t)
				do(t, ctx, markIdle, chromedp.Navigate(srv.URL()+page), waitReader())
				waitFor(t, ctx, idledTwice)
				// Reaching for the search loads nothing either.
				do(t, ctx, chromedp.Click(chromedp.CSS(`#kc-q`)), chromedp.SendKeys(chromedp.CSS(`#kc-q`), "SDK"))
				waitFor(t, ctx, idledTwice)
				assert.Empty(t, log.wasm(), "no wasm, no boot.js")
				assert.False(t, eval[bool](t, ctx, `document.documentElement.hasAttribute("data-wasm")`))
				assert.Equal(t, "SDK", eval[string](t, ctx, `new URLSearchParams(location.search).get("q")`), "the script searched")
			})
		}
	})

	t.Run("NeverUnderSaveData", func(t *testing.T) {
		for _, tt := range []struct {
			name     string
			saveData bool
			effType  string
		}{
			{"SaveData", true, "4g"},
			{"2G", false, "2g"},
			{"Slow2G", false, "slow-2g"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				ctx, log := freshTab(t)
				do(t, ctx, connection(tt.saveData, tt.effType), markIdle)
				do(t, ctx, chromedp.Navigate(srv.URL()+"/settings/privacy?lang=en"))
				waitFor(t, ctx, idledTwice)
				// Even reaching for a choice does not load it.
				do(t, ctx, chromedp.Click(chromedp.CSS(`#kc-p-required-title`)))
				waitFor(t, ctx, idledTwice)
				assert.Equal(t, "off", eval[string](t, ctx, `document.documentElement.getAttribute("data-wasm")`))
				for _, u := range log.wasm() {
					assert.Contains(t, u, "/static/boot.", "nothing but boot.js")
				}
			})
		}
	})

	t.Run("IntentLoadsItAtOnce", func(t *testing.T) {
		// On 3G the wasm waits for intent, so what loads it is the
		// pointerdown alone.
		ctx, log := freshTab(t)
		do(t, ctx, connection(false, "3g"), markIdle)
		do(t, ctx, chromedp.Navigate(srv.URL()+"/settings/privacy?lang=en"))
		waitFor(t, ctx, idledTwice)
		require.Empty(t, wasmFetches(log), "not before intent on 3G")
		assert.Equal(t, "idle", eval[string](t, ctx, `document.documentElement.getAttribute("data-wasm")`))

		// A click outside any enhanced control is no intent.
		do(t, ctx, chromedp.Click(chromedp.CSS(`#kc-settings-title`)))
		require.Empty(t, wasmFetches(log))

		do(t, ctx, chromedp.Click(chromedp.CSS(`#kc-p-required-title`)), waitWasm())
		assert.Len(t, wasmFetches(log), 1)
	})

	t.Run("OncePerRelease", func(t *testing.T) {
		// The profile's own context: a fresh one (freshTab) caches in
		// memory only, and not an entry of megabytes. Its cache starts
		// empty here.
		ctx := newTab(t)
		log := &requestLog{}
		var mu sync.Mutex
		type fetch struct {
			status    int64
			fromCache bool
			bytes     float64
		}
		fetches := map[network.RequestID]*fetch{}
		var order []network.RequestID
		require.NoError(t, chromedp.Listen(ctx, func(ev any) {
			mu.Lock()
			defer mu.Unlock()
			switch e := ev.(type) {
			case *network.EventRequestWillBeSent:
				log.mu.Lock()
				log.urls = append(log.urls, e.Request.URL)
				log.mu.Unlock()
			case *network.EventResponseReceived:
				if strings.Contains(e.Response.URL, ".wasm") {
					fetches[e.RequestID] = &fetch{status: e.Response.Status, fromCache: e.Response.FromDiskCache}
					order = append(order, e.RequestID)
				}
			case *network.EventRequestServedFromCache:
				if f := fetches[e.RequestID]; f != nil {
					f.fromCache = true
				}
			case *network.EventLoadingFinished:
				if f := fetches[e.RequestID]; f != nil {
					f.bytes = e.EncodedDataLength
				}
			}
		}))
		do(t, ctx, call(network.Enable, network.EnableParams{}), call(network.ClearBrowserCache, cdp.Empty{}))
		for range 2 {
			do(t, ctx, chromedp.Navigate(srv.URL()+"/settings/privacy?lang=en"), waitWasm())
		}
		require.Len(t, wasmFetches(log), 2, "the second page asks too, and the cache answers")
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, order, 2)
		first, second := fetches[order[0]], fetches[order[1]]
		assert.Greater(t, first.bytes, float64(1<<20), "the first load downloads it")
		// From the cache, revalidated (a few hundred bytes of headers) or
		// not asked at all.
		assert.Less(t, second.bytes, float64(4096), "no body the second time: %+v", *second)
	})
}
