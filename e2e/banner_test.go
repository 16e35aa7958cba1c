package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/kaiconn/consent/receipt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The banner frame is served by the same origin as /demo, so its document
// is reachable from the page's scripts.
const bannerDoc = `document.querySelector("iframe[data-kc-banner]").contentDocument`

// openDemo opens /demo in a fresh tab, after setup (network blocking,
// headers, injected scripts), and waits until the banner's Accept button
// can be pressed.
func openDemo(t *testing.T, lang string, setup ...chromedp.Action[chromedp.Void]) (context.Context, string) {
	t.Helper()
	srv := startServer(t)
	ctx := newTab(t)
	// Cookies are per host, not per port: the tabs of earlier tests left
	// theirs on 127.0.0.1.
	do(t, ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	do(t, ctx, setup...)
	do(t, ctx, chromedp.Navigate(srv.URL()+"/demo?lang="+lang))
	waitFor(t, ctx, `(() => { const f = document.querySelector("iframe[data-kc-banner]");
		return !!(f && f.contentDocument && f.contentDocument.getElementById("kc-accept")); })()`)
	return ctx, srv.URL()
}

// waitFor polls a JavaScript condition until it is true; the tab's
// deadline bounds it.
func waitFor(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(25*time.Millisecond)))
	require.NoError(t, err, "waiting for %s", cond)
}

// choose presses a button of the banner and waits until the page has the
// resulting decision (the frame is gone).
func choose(t *testing.T, ctx context.Context, button string) {
	t.Helper()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](bannerDoc+`.getElementById("`+button+`").click()`))
	waitFor(t, ctx, `!document.querySelector("iframe[data-kc-banner]") && KaiconnConsent.get().decided`)
}

// reopen shows the banner again through the public API, as a "cookie
// settings" link would.
func reopen(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`KaiconnConsent.show()`))
	waitFor(t, ctx, `(() => { const f = document.querySelector("iframe[data-kc-banner]");
		return !!(f && f.contentDocument && f.contentDocument.getElementById("kc-reject")); })()`)
}

// cookieNames lists the cookies the page can see.
func cookieNames(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return eval[[]string](t, ctx, `document.cookie.split(/;\s*/).filter(Boolean).map(c => c.split("=")[0])`)
}

func consentCookie(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `(document.cookie.split(/;\s*/).find(c => c.startsWith("kc_consent=")) || "").slice(11)`)
}

// consentCalls returns the Consent Mode commands in the order the page's
// gtag received them, e.g. "default:denied", "update:granted" (the value
// of analytics_storage).
func consentCalls(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return eval[[]string](t, ctx, `dataLayer.filter(a => a[0] === "consent").map(a => a[1] + ":" + a[2].analytics_storage)`)
}

func TestBannerRejectAllHoldsEverything(t *testing.T) {
	ctx, _ := openDemo(t, "en")

	t.Run("BeforeAnyChoice", func(t *testing.T) {
		assert.False(t, eval[bool](t, ctx, `"__demoAnalyticsRuns" in window || "__demoInlineRuns" in window`), "a held script ran before any choice")
		assert.Empty(t, cookieNames(t, ctx), "no cookie before any choice")
		assert.False(t, eval[bool](t, ctx, `document.querySelector(".demo-frame").hasAttribute("src")`), "held iframe loaded")
		assert.Equal(t, []string{"default:denied"}, consentCalls(t, ctx))
		assert.Equal(t, 1, eval[int](t, ctx, `dataLayer[0][2].wait_for_update > 0 ? 1 : 0`), "default waits for the update")
		// Equal weight: the three first-layer controls are the same element
		// with the same class and the same rendered size.
		assert.Equal(t, []string{"BUTTON kc-btn", "BUTTON kc-btn", "BUTTON kc-btn"}, eval[[]string](t, ctx,
			`["kc-accept","kc-reject","kc-customise"].map(id => { const b = `+bannerDoc+`.getElementById(id); return b.tagName + " " + b.className; })`))
		sizes := eval[[]string](t, ctx, `["kc-accept","kc-reject","kc-customise"].map(id => { const r = `+bannerDoc+`.getElementById(id).getBoundingClientRect(); return Math.round(r.width) + "x" + Math.round(r.height); })`)
		assert.Equal(t, sizes[0], sizes[1])
		assert.Equal(t, sizes[0], sizes[2])
	})

	choose(t, ctx, "kc-reject")

	t.Run("AfterReject", func(t *testing.T) {
		assert.False(t, eval[bool](t, ctx, `"__demoAnalyticsRuns" in window || "__demoInlineRuns" in window`))
		assert.Equal(t, []string{"kc_consent"}, cookieNames(t, ctx))
		assert.Equal(t, "necessary", strings.Split(consentCookie(t, ctx), ".")[2], "the consent cookie grants only the necessary category")
		assert.Equal(t, []string{"default:denied", "update:denied"}, consentCalls(t, ctx))
	})
}

// fetchReceipt reads the receipt with id as the browser of tab ctx may: in
// its subject's chain (/settings/privacy/receipts.json, which kc_sub
// unlocks), verified offline against the server's keys. Anonymous
// GET /api/v1/receipts/{id} shows only the id and when it was received.
func fetchReceipt(t *testing.T, ctx context.Context, base, id string) *receipt.Signed {
	t.Helper()
	res, err := http.Get(base + "/.well-known/jwks.json")
	require.NoError(t, err)
	defer res.Body.Close()
	jwks, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	raw := await(t, ctx, `fetch('/settings/privacy/receipts.json').then(r => r.text())`)
	var h receipt.History
	require.NoError(t, json.Unmarshal([]byte(raw), &h), raw)
	require.NoError(t, receipt.VerifyChain(h, jwks))
	for _, c := range h.Receipts {
		if c.ID == id {
			s, err := c.Verify(jwks)
			require.NoError(t, err)
			return s
		}
	}
	require.FailNow(t, "receipt "+id+" is not in this browser's chain")
	return nil
}

func TestBannerAcceptOnceAndWithdraw(t *testing.T) {
	ctx, base := openDemo(t, "zh-Hans")
	choose(t, ctx, "kc-accept")
	waitFor(t, ctx, `window.__demoAnalyticsRuns === 1 && document.cookie.includes("_ga=")`)
	accepted := eval[string](t, ctx, `KaiconnConsent.get().receipt`)

	t.Run("ReceiptStoredAndCountersigned", func(t *testing.T) {
		s := fetchReceipt(t, ctx, base, accepted)
		assert.Equal(t, "web-banner", s.Receipt.Surface)
		assert.Equal(t, "agreed", s.Receipt.Decision)
		assert.Equal(t, receipt.AttestationServer, s.Attestation, "a form post: the server attests it")
	})

	t.Run("Accepted", func(t *testing.T) {
		assert.Equal(t, 1, eval[int](t, ctx, `window.__demoInlineRuns`), "the held inline script ran once")
		assert.Equal(t, "/demo/frame", eval[string](t, ctx, `new URL(document.querySelector(".demo-frame").src).pathname`))
		assert.Equal(t, "necessary_preferences_analytics", strings.Split(consentCookie(t, ctx), ".")[2])
		assert.Equal(t, []string{"default:denied", "update:granted"}, consentCalls(t, ctx))
	})

	t.Run("AcceptAgainRunsNothingTwice", func(t *testing.T) {
		reopen(t, ctx)
		choose(t, ctx, "kc-accept")
		assert.Equal(t, 1, eval[int](t, ctx, `window.__demoAnalyticsRuns`))
		assert.Equal(t, 1, eval[int](t, ctx, `window.__demoInlineRuns`))
	})

	t.Run("Withdraw", func(t *testing.T) {
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__events = []; document.addEventListener("kaiconn:consent", e => __events.push(e.detail))`))
		reopen(t, ctx)
		choose(t, ctx, "kc-reject")
		assert.NotContains(t, cookieNames(t, ctx), "_ga", "withdrawal deletes the analytics cookies")
		assert.Equal(t, []string{"analytics", "preferences"}, eval[[]string](t, ctx, `__events[0].revoked.slice().sort()`))
		assert.False(t, eval[bool](t, ctx, `__events[0].categories.analytics`))
		assert.Equal(t, 1, eval[int](t, ctx, `__events.length`))
		assert.False(t, eval[bool](t, ctx, `document.querySelector(".demo-frame").hasAttribute("src")`), "the held frame is unloaded")
		calls := consentCalls(t, ctx)
		assert.Equal(t, "default:denied", calls[0])
		assert.Equal(t, "update:denied", calls[len(calls)-1])

		// The withdrawal is a receipt of its own, in the same visitor's chain.
		withdrawn := fetchReceipt(t, ctx, base, eval[string](t, ctx, `KaiconnConsent.get().receipt`))
		assert.Equal(t, "withdrawn", withdrawn.Receipt.Decision)
		assert.Equal(t, fetchReceipt(t, ctx, base, accepted).Receipt.Subject, withdrawn.Receipt.Subject)
		states := map[string]string{}
		for _, p := range withdrawn.Receipt.Purposes {
			states[p.ID] = p.State
		}
		assert.Equal(t, map[string]string{"necessary": "given", "preferences": "withdrawn", "analytics": "withdrawn"}, states)
	})
}

func TestBannerGPCRefusesAnalyticsWithoutAClick(t *testing.T) {
	ctx, _ := openDemo(t, "en",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
				return err
			}
			if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Sec-GPC": "1"}}); err != nil {
				return err
			}
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
				Source: `Object.defineProperty(Navigator.prototype, "globalPrivacyControl", {get: () => true, configurable: true});`,
			})
			return err
		}),
	)
	st := eval[map[string]any](t, ctx, `KaiconnConsent.get()`)
	assert.Equal(t, true, st["gpc"])
	assert.Equal(t, false, st["decided"])
	assert.Equal(t, false, st["categories"].(map[string]any)["analytics"])
	assert.True(t, eval[bool](t, ctx, `!!`+bannerDoc+`.getElementById("kc-gpc")`), "the banner says GPC is honoured")
	assert.Empty(t, cookieNames(t, ctx), "nothing is stored until the person acts")

	// An explicit choice wins over the signal.
	choose(t, ctx, "kc-accept")
	waitFor(t, ctx, `window.__demoAnalyticsRuns === 1`)
	assert.True(t, eval[bool](t, ctx, `KaiconnConsent.get().categories.analytics`))
}

func TestBannerWorksWithTheWasmBlocked(t *testing.T) {
	ctx, _ := openDemo(t, "en", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{
			URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/app.wasm", Block: true}, {URLPattern: "*://*:*/wasm_exec.js", Block: true}},
		})
		return err
	}))
	waitFor(t, ctx, bannerDoc+`.documentElement.dataset.wasm === "failed"`)
	choose(t, ctx, "kc-reject")
	assert.False(t, eval[bool](t, ctx, `"__demoAnalyticsRuns" in window`))
	assert.Equal(t, "necessary", strings.Split(consentCookie(t, ctx), ".")[2])

	reopen(t, ctx)
	choose(t, ctx, "kc-accept")
	waitFor(t, ctx, `window.__demoAnalyticsRuns === 1`)
	assert.Equal(t, "necessary_preferences_analytics", strings.Split(consentCookie(t, ctx), ".")[2])
}

func TestBannerCustomiseWithTheWasm(t *testing.T) {
	ctx, _ := openDemo(t, "en")
	waitFor(t, ctx, bannerDoc+`.documentElement.dataset.wasm === "ready"`)
	// A marker on the frame's window survives only if nothing reloads it.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("iframe[data-kc-banner]").contentWindow.__noReload = true;
		`+bannerDoc+`.getElementById("kc-customise").click()`))
	waitFor(t, ctx, `!!`+bannerDoc+`.getElementById("kc-cat-analytics")`)
	assert.True(t, eval[bool](t, ctx, `document.querySelector("iframe[data-kc-banner]").contentWindow.__noReload === true`), "Customise reloaded the frame")
	assert.Equal(t, []bool{false, false}, eval[[]bool](t, ctx, `["preferences","analytics"].map(id => `+bannerDoc+`.getElementById("kc-cat-" + id).checked)`), "nothing is pre-ticked")

	do(t, ctx, chromedp.Evaluate[chromedp.Void](bannerDoc+`.getElementById("kc-cat-analytics").click()`))
	choose(t, ctx, "kc-save")
	waitFor(t, ctx, `window.__demoAnalyticsRuns === 1`)
	assert.Equal(t, map[string]bool{"necessary": true, "preferences": false, "analytics": true}, eval[map[string]bool](t, ctx, `KaiconnConsent.get().categories`))
}
