package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	texttemplate "text/template"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// embed.js draws the first layer in the open shadow root of
// <kaiconn-banner>; the banner frame (iframe[data-kc-banner]) is only the
// second layer, or the fallback where a page cannot draw the first.
const (
	bannerHost  = `document.querySelector("kaiconn-banner")`
	bannerRoot  = bannerHost + `.shadowRoot`
	bannerShown = `!!(` + bannerHost + ` && ` + bannerRoot + `.getElementById("kc-accept"))`
	// The ticket is in: a choice writes its cookie at once.
	bannerReady = bannerShown + ` && ` + bannerHost + `.hasAttribute("data-kc-ready")`
	bannerFrame = `document.querySelector("iframe[data-kc-banner]")`
	frameDoc    = bannerFrame + `.contentDocument`
	// Every choice is acknowledged by the server.
	queueEmpty = `localStorage.getItem("kc_consent_queue") === null`
)

// requestLog lists the URLs a tab requested, and the statuses of the
// answers to the banner's posts.
type requestLog struct {
	mu    sync.Mutex
	urls  []string
	posts []int64
}

func (l *requestLog) postStatuses() []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int64(nil), l.posts...)
}

// wasm lists the requests of the wasm and of what loads it.
func (l *requestLog) wasm() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, u := range l.urls {
		if strings.Contains(u, ".wasm") || strings.Contains(u, "wasm_exec") || strings.Contains(u, "boot.js") {
			out = append(out, u)
		}
	}
	return out
}

// freshTab opens a tab in a browser context of its own (no cookie,
// storage or cache of another test) and logs what it requests.
func freshTab(t *testing.T) (context.Context, *requestLog) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancelT)
	log := &requestLog{}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			log.mu.Lock()
			log.urls = append(log.urls, e.Request.URL)
			log.mu.Unlock()
		case *network.EventResponseReceived:
			if strings.HasSuffix(e.Response.URL, "/banner/consent") {
				log.mu.Lock()
				log.posts = append(log.posts, e.Response.Status)
				log.mu.Unlock()
			}
		}
	}))
	do(t, ctx, call(network.Enable, network.EnableParams{}))
	return ctx, log
}

// call runs one DevTools command as a step.
func call[P, R any](cmd cdp.Command[P, R], p P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, cmd, p)
		return err
	})
}

// openDemo opens /demo of a fresh server in a fresh tab, after setup
// (network blocking, headers, injected scripts), and waits until the
// banner's first layer is shown.
func openDemo(t *testing.T, lang string, setup ...chromedp.Action[chromedp.Void]) (context.Context, *server.Server, *requestLog) {
	t.Helper()
	srv := startServer(t)
	ctx, log := freshTab(t)
	do(t, ctx, setup...)
	do(t, ctx, chromedp.Navigate(srv.URL()+"/demo?lang="+lang))
	waitFor(t, ctx, bannerShown)
	return ctx, srv, log
}

// waitFor polls a JavaScript condition until it is true; the tab's
// deadline bounds it.
func waitFor(t *testing.T, ctx context.Context, cond string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](cond, chromedp.WithPollingInterval(25*time.Millisecond)))
	require.NoError(t, err, "waiting for %s", cond)
}

// waitSettled waits until the number expr computes has stayed the same for
// several polls in a row: a size that is set by a message (the banner's
// frame) has then arrived, however slow the machine, where a fixed sleep
// would guess.
func waitSettled(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`delete window.__kcSettled`))
	waitFor(t, ctx, `(function () { var v = `+expr+`, s = window.__kcSettled;
		if (s && s.v === v) { s.n++; } else { window.__kcSettled = s = { v: v, n: 0 }; }
		return s.n >= 4; })()`)
}

// choose presses a button of the first layer and waits until the page has
// the resulting decision (the layer is gone).
func choose(t *testing.T, ctx context.Context, button string) {
	t.Helper()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](bannerRoot+`.getElementById("`+button+`").click()`))
	waitFor(t, ctx, `!`+bannerHost+` && KaiconnConsent.get().decided`)
}

// reopen shows the banner again through the public API, as a "cookie
// settings" link would.
func reopen(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`KaiconnConsent.show()`))
	waitFor(t, ctx, bannerReady)
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

// receiptKnown asks the server, as anybody may, whether it holds a
// receipt: 200 or 404.
func receiptKnown(t *testing.T, base, id string) int {
	t.Helper()
	res, err := http.Get(base + "/api/v1/receipts/" + id)
	require.NoError(t, err)
	res.Body.Close()
	return res.StatusCode
}

// chain reads the receipts of the browser's subject as the browser may
// (/settings/privacy/receipts.json, which kc_sub unlocks), verified
// offline against the server's keys.
func chain(t *testing.T, ctx context.Context, base string) []*receipt.Signed {
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
	var out []*receipt.Signed
	for _, c := range h.Receipts {
		s, err := c.Verify(jwks)
		require.NoError(t, err)
		out = append(out, s)
	}
	return out
}

// fetchReceipt finds the receipt with id in the browser's chain.
func fetchReceipt(t *testing.T, ctx context.Context, base, id string) *receipt.Signed {
	t.Helper()
	for _, s := range chain(t, ctx, base) {
		if s.Receipt.ID == id {
			return s
		}
	}
	require.FailNow(t, "receipt "+id+" is not in this browser's chain")
	return nil
}

func ids(signed []*receipt.Signed) []string {
	var out []string
	for _, s := range signed {
		out = append(out, s.Receipt.ID)
	}
	return out
}

func TestBannerFirstLayer(t *testing.T) {
	ctx, srv, log := openDemo(t, "en")

	t.Run("DrawnWithoutAFrame", func(t *testing.T) {
		assert.Equal(t, 0, eval[int](t, ctx, `document.querySelectorAll("iframe[data-kc-banner]").length`))
		assert.Equal(t, 0, eval[int](t, ctx, `performance.getEntriesByType("resource").filter(e => e.name.includes("/banner?") || e.name.includes("banner.css")).length`),
			"no frame, no stylesheet: the first layer needs no request of its own")
	})
	t.Run("Accessible", func(t *testing.T) {
		region := eval[map[string]string](t, ctx, `(() => { const r = `+bannerRoot+`.querySelector("[role=region]");
			return {label: `+bannerRoot+`.getElementById(r.getAttribute("aria-labelledby")).textContent, lang: r.lang}; })()`)
		assert.Equal(t, map[string]string{"label": "Cookies on Kaiconn", "lang": "en"}, region)
		// Equal weight: three real buttons, one element, one style, one
		// size, in the second layer's order.
		assert.Equal(t, []string{"kc-accept button", "kc-reject button", "kc-customise button"}, eval[[]string](t, ctx,
			`[...`+bannerRoot+`.querySelectorAll("button")].map(b => b.id + " " + b.type)`))
		sizes := eval[[]string](t, ctx, `[...`+bannerRoot+`.querySelectorAll("button")].map(b => { const r = b.getBoundingClientRect(), s = getComputedStyle(b); return Math.round(r.width) + "x" + Math.round(r.height) + " " + s.backgroundColor + " " + s.color; })`)
		assert.Equal(t, sizes[0], sizes[1])
		assert.Equal(t, sizes[0], sizes[2])
		assert.Equal(t, "kaiconn-banner", eval[string](t, ctx, `document.body.firstElementChild.localName`), "first in the tab order")
	})
	t.Run("BeforeAnyChoice", func(t *testing.T) {
		assert.False(t, eval[bool](t, ctx, `"__demoAnalyticsRuns" in window || "__demoInlineRuns" in window`), "a held script ran before any choice")
		assert.Empty(t, cookieNames(t, ctx), "no cookie before any choice")
		assert.False(t, eval[bool](t, ctx, `document.querySelector(".demo-frame").hasAttribute("src")`), "held iframe loaded")
		assert.Equal(t, []string{"default:denied"}, consentCalls(t, ctx))
		assert.Equal(t, 1, eval[int](t, ctx, `dataLayer[0][2].wait_for_update > 0 ? 1 : 0`), "default waits for the update")
	})
	t.Run("Themable", func(t *testing.T) {
		do(t, ctx, chromedp.Evaluate[chromedp.Void](bannerHost+`.style.setProperty("--kc-btn-bg", "rgb(1, 2, 3)")`))
		assert.Equal(t, "rgb(1, 2, 3)", eval[string](t, ctx, `getComputedStyle(`+bannerRoot+`.getElementById("kc-accept")).backgroundColor`))
		do(t, ctx, chromedp.Evaluate[chromedp.Void](bannerHost+`.style.removeProperty("--kc-btn-bg")`))
	})

	waitFor(t, ctx, bannerReady)
	choose(t, ctx, "kc-reject")

	t.Run("AfterReject", func(t *testing.T) {
		assert.False(t, eval[bool](t, ctx, `"__demoAnalyticsRuns" in window || "__demoInlineRuns" in window`))
		assert.Equal(t, []string{"kc_consent"}, cookieNames(t, ctx))
		assert.Equal(t, "necessary", strings.Split(consentCookie(t, ctx), ".")[2], "the consent cookie grants only the necessary category")
		assert.Equal(t, []string{"default:denied", "update:denied"}, consentCalls(t, ctx))
	})
	t.Run("Recorded", func(t *testing.T) {
		waitFor(t, ctx, queueEmpty)
		id := eval[string](t, ctx, `KaiconnConsent.get().receipt`)
		assert.Equal(t, strings.Split(consentCookie(t, ctx), ".")[4], id)
		s := fetchReceipt(t, ctx, srv.URL(), id)
		assert.Equal(t, "web-banner", s.Receipt.Surface)
		assert.Equal(t, "declined", s.Receipt.Decision)
		assert.Equal(t, receipt.AttestationServer, s.Attestation)
	})
	assert.Empty(t, log.wasm(), "the banner loads no wasm")
}

func TestBannerAcceptOnceAndWithdraw(t *testing.T) {
	ctx, srv, log := openDemo(t, "zh-Hans")
	waitFor(t, ctx, bannerReady)
	assert.Equal(t, "全部接受", eval[string](t, ctx, bannerRoot+`.getElementById("kc-accept").textContent`))
	choose(t, ctx, "kc-accept")
	waitFor(t, ctx, `window.__demoAnalyticsRuns === 1 && document.cookie.includes("_ga=")`)
	accepted := eval[string](t, ctx, `KaiconnConsent.get().receipt`)

	t.Run("ReceiptStoredAndCountersigned", func(t *testing.T) {
		waitFor(t, ctx, queueEmpty)
		s := fetchReceipt(t, ctx, srv.URL(), accepted)
		assert.Equal(t, "web-banner", s.Receipt.Surface)
		assert.Equal(t, "agreed", s.Receipt.Decision)
		assert.Equal(t, "zh-Hans", s.Receipt.Language)
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
		assert.Equal(t, "kc-accept", eval[string](t, ctx, bannerRoot+`.activeElement.id`), "opened by the person: focus on the first button")
		choose(t, ctx, "kc-accept")
		assert.Equal(t, 1, eval[int](t, ctx, `window.__demoAnalyticsRuns`))
		assert.Equal(t, 1, eval[int](t, ctx, `window.__demoInlineRuns`))
		waitFor(t, ctx, queueEmpty)
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
		waitFor(t, ctx, queueEmpty)
		withdrawn := fetchReceipt(t, ctx, srv.URL(), eval[string](t, ctx, `KaiconnConsent.get().receipt`))
		assert.Equal(t, "withdrawn", withdrawn.Receipt.Decision)
		assert.Equal(t, fetchReceipt(t, ctx, srv.URL(), accepted).Receipt.Subject, withdrawn.Receipt.Subject)
		states := map[string]string{}
		for _, p := range withdrawn.Receipt.Purposes {
			states[p.ID] = p.State
		}
		assert.Equal(t, map[string]string{"necessary": "necessary", "preferences": "withdrawn", "analytics": "withdrawn"}, states)
	})
	assert.Empty(t, log.wasm(), "the banner loads no wasm")
}

func TestBannerGPCRefusesAnalyticsWithoutAClick(t *testing.T) {
	ctx, _, _ := openDemo(t, "en",
		call(network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Sec-GPC": "1"}}),
		call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
			Source: `Object.defineProperty(Navigator.prototype, "globalPrivacyControl", {get: () => true, configurable: true});`,
		}),
	)
	st := eval[map[string]any](t, ctx, `KaiconnConsent.get()`)
	assert.Equal(t, true, st["gpc"])
	assert.Equal(t, false, st["decided"])
	assert.Equal(t, false, st["categories"].(map[string]any)["analytics"])
	assert.Equal(t, "status", eval[string](t, ctx, bannerRoot+`.getElementById("kc-gpc").getAttribute("role")`), "the banner says GPC is honoured")
	assert.Empty(t, cookieNames(t, ctx), "nothing is stored until the person acts")

	// An explicit choice wins over the signal.
	waitFor(t, ctx, bannerReady)
	choose(t, ctx, "kc-accept")
	waitFor(t, ctx, `window.__demoAnalyticsRuns === 1`)
	assert.True(t, eval[bool](t, ctx, `KaiconnConsent.get().categories.analytics`))
}

// clickAndLook presses a first-layer button and reports, in the same task,
// what the page has then: everything a choice does happens at once, not
// when the server answers.
const clickAndLook = `(() => {
  const events = [];
  document.addEventListener("kaiconn:consent", e => events.push(e.detail));
  ` + bannerRoot + `.getElementById("%s").click();
  const d = events[0] || {categories: {}};
  return {
    events: events.length,
    granted: Object.keys(d.categories).filter(k => d.categories[k]).join("_"),
    receipt: d.receipt || "",
    update: dataLayer.filter(a => a[0] === "consent").map(a => a[1] + ":" + a[2].analytics_storage).pop(),
    inline: window.__demoInlineRuns || 0,
    external: !!document.querySelector('script[src*="/static/demo-analytics."]'),
    frame: document.querySelector(".demo-frame").getAttribute("src") || "",
    cookie: (document.cookie.split(/;\s*/).find(c => c.startsWith("kc_consent=")) || "").slice(11),
    banner: !!` + bannerHost + `,
    queued: JSON.parse(localStorage.getItem("kc_consent_queue") || "[]").length,
  };
})()`

type looked struct {
	Events   int    `json:"events"`
	Granted  string `json:"granted"`
	Receipt  string `json:"receipt"`
	Update   string `json:"update"`
	Inline   int    `json:"inline"`
	External bool   `json:"external"`
	Frame    string `json:"frame"`
	Cookie   string `json:"cookie"`
	Banner   bool   `json:"banner"`
	Queued   int    `json:"queued"`
}

// Each button applies its choice at once, with the network cut; the
// receipt arrives once the network is back, exactly once, though the
// page is reloaded in between and the same choice is posted twice.
func TestBannerChoiceAppliesAtOnceAndIsRecordedOnce(t *testing.T) {
	for _, tt := range []struct {
		name, button, granted, update string
		analytics                     bool
		// early: the person chooses before the ticket came (it is
		// blocked), so the cookie waits for it.
		early bool
	}{
		{"AcceptAll", "kc-accept", "necessary_preferences_analytics", "update:granted", true, false},
		{"RejectAll", "kc-reject", "necessary", "update:denied", false, false},
		{"AcceptAllBeforeTheTicket", "kc-accept", "necessary_preferences_analytics", "update:granted", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var setup []chromedp.Action[chromedp.Void]
			if tt.early {
				setup = append(setup, call(network.SetBlockedURLs, network.SetBlockedURLsParams{
					URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/banner/ticket", Block: true}},
				}))
			}
			ctx, srv, log := openDemo(t, "en", setup...)
			if !tt.early {
				waitFor(t, ctx, bannerReady)
			}
			setOffline(t, ctx, true)
			now := eval[looked](t, ctx, fmt.Sprintf(clickAndLook, tt.button))

			assert.Equal(t, 1, now.Events, "kaiconn:consent")
			assert.Equal(t, tt.granted, now.Granted)
			assert.Equal(t, tt.update, now.Update, "Consent Mode")
			assert.False(t, now.Banner, "the layer is gone")
			assert.Equal(t, 1, now.Queued, "the receipt waits in the queue")
			if tt.analytics {
				assert.Equal(t, 1, now.Inline, "the held inline script ran")
				assert.True(t, now.External, "the held external script is released")
				assert.Equal(t, "/demo/frame", now.Frame, "the held frame is released")
			} else {
				assert.Zero(t, now.Inline)
				assert.False(t, now.External)
				assert.Empty(t, now.Frame)
			}
			var id string
			if tt.early {
				assert.Empty(t, now.Cookie, "no ticket, no signed cookie yet")
				assert.Empty(t, now.Receipt)
			} else {
				parts := strings.Split(now.Cookie, ".")
				require.Len(t, parts, 6, "the pre-signed cookie is written at once: %q", now.Cookie)
				assert.Equal(t, tt.granted, parts[2])
				assert.Equal(t, now.Receipt, parts[4])
				id = now.Receipt
				assert.Equal(t, http.StatusNotFound, receiptKnown(t, srv.URL(), id), "nothing reached the server")
			}
			queued := eval[string](t, ctx, `localStorage.getItem("kc_consent_queue")`)

			// The network comes back and the person goes on to another page
			// (here: the same one again) at once.
			if tt.early {
				do(t, ctx, call(network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: []*network.BlockPattern{}}))
			}
			setOffline(t, ctx, false)
			do(t, ctx, chromedp.Reload())
			waitFor(t, ctx, `!!window.KaiconnConsent && KaiconnConsent.get().decided`)
			assert.False(t, eval[bool](t, ctx, bannerShown), "the choice holds across the reload")
			waitFor(t, ctx, queueEmpty)
			cookie := strings.Split(consentCookie(t, ctx), ".")
			require.Len(t, cookie, 6)
			assert.Equal(t, tt.granted, cookie[2])
			if id == "" {
				id = cookie[4]
			}
			assert.Equal(t, id, cookie[4], "the cookie names the receipt")
			assert.Equal(t, http.StatusOK, receiptKnown(t, srv.URL(), id))
			assert.Equal(t, []string{id}, ids(chain(t, ctx, srv.URL())))
			// The page may have posted when the network came back, and
			// again after the reload (a keepalive post outlives its page,
			// and its answer is not seen): every post is acknowledged, and
			// the chain holds the receipt once.
			before := log.postStatuses()
			require.NotEmpty(t, before)
			for _, st := range before {
				assert.Contains(t, []int64{http.StatusCreated, http.StatusOK}, st)
			}

			if !tt.early {
				// The same choice posted again (an answer lost on the way):
				// acknowledged, stored once.
				do(t, ctx, chromedp.Evaluate[chromedp.Void](`localStorage.setItem("kc_consent_queue", `+jsString(queued)+`)`), chromedp.Reload())
				waitFor(t, ctx, `!!window.KaiconnConsent && `+queueEmpty)
				assert.Equal(t, append(before, http.StatusOK), log.postStatuses(), "the post again is acknowledged as the first was")
				assert.Equal(t, []string{id}, ids(chain(t, ctx, srv.URL())), "exactly once")
			}
			assert.Empty(t, log.wasm(), "the banner loads no wasm")
		})
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// Customise opens the server-rendered second layer in a frame: no wasm,
// nothing pre-ticked, and its Save applies on the page like the first
// layer's buttons.
func TestBannerCustomise(t *testing.T) {
	ctx, _, log := openDemo(t, "en")
	do(t, ctx, chromedp.Evaluate[chromedp.Void](bannerRoot+`.getElementById("kc-customise").click()`))
	waitFor(t, ctx, `!!(`+bannerFrame+` && `+frameDoc+` && `+frameDoc+`.getElementById("kc-cat-analytics"))`)
	assert.False(t, eval[bool](t, ctx, `!!`+bannerHost), "one layer at a time")
	assert.Equal(t, "2", eval[string](t, ctx, `new URL(`+bannerFrame+`.src).searchParams.get("layer")`))
	assert.Equal(t, []bool{false, false}, eval[[]bool](t, ctx, `["preferences","analytics"].map(id => `+frameDoc+`.getElementById("kc-cat-" + id).checked)`), "nothing is pre-ticked")
	assert.Equal(t, []string{"kc-accept", "kc-reject", "kc-save"}, eval[[]string](t, ctx, `[...`+frameDoc+`.querySelectorAll(".kc-actions button")].map(b => b.id)`), "the first layer's order")

	do(t, ctx, chromedp.Evaluate[chromedp.Void](frameDoc+`.getElementById("kc-cat-analytics").click(); `+frameDoc+`.getElementById("kc-save").click()`))
	waitFor(t, ctx, `!`+bannerFrame+` && KaiconnConsent.get().decided`)
	waitFor(t, ctx, `window.__demoAnalyticsRuns === 1`)
	assert.Equal(t, map[string]bool{"necessary": true, "preferences": false, "analytics": true}, eval[map[string]bool](t, ctx, `KaiconnConsent.get().categories`))
	assert.Equal(t, "necessary_analytics", strings.Split(consentCookie(t, ctx), ".")[2])
	assert.Empty(t, log.wasm(), "Customise loads no wasm")
}

// hostSite is a website on an origin of its own that embeds a banner: the
// host page of the cross-origin tests and of the benchmark. Its one
// template (testdata/banner/host.html) has a variant per banner.
type hostSite struct {
	*httptest.Server
	// consent is the consent host's origin (embed.js, the tickets and the
	// posts), cdn the origin that serves vanilla-cookieconsent.
	consent, cdn string
	lang         string
	text         bannerText // for vanilla-cookieconsent's configuration
}

var (
	hostPage     = htmltemplate.Must(htmltemplate.ParseFiles("testdata/banner/host.html"))
	hostCCConfig = texttemplate.Must(texttemplate.New("cookieconsent-config.js").Funcs(texttemplate.FuncMap{
		"json": func(v any) (string, error) { b, err := json.Marshal(v); return string(b), err },
	}).ParseFiles("testdata/banner/cookieconsent-config.js"))
)

func newHostSite(t testing.TB) *hostSite {
	t.Helper()
	h := &hostSite{lang: "en"}
	h.Server = httptest.NewServer(h)
	t.Cleanup(h.Close)
	return h
}

func (h *hostSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{"Consent": h.consent, "CDN": h.cdn, "Lang": h.lang, "Variant": r.URL.Query().Get("variant"), "Text": h.text}
	w.Header().Set("Cache-Control", "no-store")
	var err error
	switch r.URL.Path {
	case "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		err = hostPage.Execute(w, data)
	case "/cookieconsent-config.js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		err = hostCCConfig.Execute(w, data)
	default:
		http.NotFound(w, r)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// bannerText is what both banners of the host page show: the first
// layer's texts and the categories, from the server's messages and
// catalogue.
type bannerText struct {
	Title, Intro, Policy, PolicyURL, Label, Accept, Reject, Customise, Save string
	Categories                                                              []bannerCategory
}

type bannerCategory struct {
	ID, Title, Description string
	Required               bool
}

// The banner on another origin of the same site (127.0.0.1 on two ports,
// as www.kaiconn.com and consent.kaiconn.com): its choices are recorded
// across origins for an origin of Config.BannerOrigins, and refused for
// any other (localhost here).
func TestBannerCrossOrigin(t *testing.T) {
	site := newHostSite(t)
	srv := startServer(t, func(c *server.Config) { c.BannerOrigins = []string{site.URL} })
	site.consent = srv.URL()
	other := newHostSite(t)
	other.consent = srv.URL()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)

	// postDirectly posts a choice with a fresh ticket from the page, as
	// embed.js would, and tells what the page could read of the answer.
	postDirectly := func(t *testing.T, ctx context.Context) (result, receiptID string) {
		t.Helper()
		res, err := http.Get(srv.URL() + "/banner/ticket")
		require.NoError(t, err)
		var tk struct{ Ticket, Receipt string }
		require.NoError(t, json.NewDecoder(res.Body).Decode(&tk))
		res.Body.Close()
		return await(t, ctx, `fetch(`+jsString(srv.URL()+"/banner/consent")+`, {method: "POST", credentials: "include", keepalive: true,
			headers: {Accept: "application/json"}, body: new URLSearchParams({action: "accept", lang: "en", ticket: `+jsString(tk.Ticket)+`})})
			.then(r => "status " + r.status, e => "error " + e.name)`), tk.Receipt
	}

	t.Run("OKFromTheSite", func(t *testing.T) {
		ctx, log := freshTab(t)
		do(t, ctx, chromedp.Navigate(site.URL+"/?variant=kaiconn"))
		waitFor(t, ctx, bannerReady)
		choose(t, ctx, "kc-accept")
		waitFor(t, ctx, queueEmpty)
		id := eval[string](t, ctx, `KaiconnConsent.get().receipt`)
		assert.Equal(t, http.StatusOK, receiptKnown(t, srv.URL(), id), "recorded across origins")
		assert.Equal(t, "necessary_preferences_analytics", strings.Split(consentCookie(t, ctx), ".")[2])

		result, direct := postDirectly(t, ctx)
		assert.Equal(t, "status 201", result, "the page reads the acknowledgement")
		assert.Equal(t, http.StatusOK, receiptKnown(t, srv.URL(), direct))
		assert.Empty(t, log.wasm())
	})
	t.Run("ErrFromAnotherOrigin", func(t *testing.T) {
		ctx, _ := freshTab(t)
		do(t, ctx, chromedp.Navigate(otherURL+"/?variant=kaiconn"))
		waitFor(t, ctx, bannerShown)
		// The ticket is refused, so the choice holds on this page only and
		// is not retried for ever.
		choose(t, ctx, "kc-accept")
		waitFor(t, ctx, queueEmpty)
		assert.Empty(t, consentCookie(t, ctx), "no signed cookie for a page the server does not serve")

		result, direct := postDirectly(t, ctx)
		assert.Equal(t, "error TypeError", result, "the page cannot read the refusal")
		assert.Equal(t, http.StatusNotFound, receiptKnown(t, srv.URL(), direct), "nothing is stored")
	})
}

// The host page with the banner open passes axe-core with no serious or
// critical violation, in both languages, on a phone and on a desktop,
// without sideways scrolling.
func TestBannerAccessibility(t *testing.T) {
	axe := axeScript(t)
	srv := startServer(t)
	for _, l := range []string{"en", "zh-Hans"} {
		for _, width := range []int64{360, 1280} {
			t.Run(fmt.Sprintf("%s/%d", l, width), func(t *testing.T) {
				ctx, _ := freshTab(t)
				var opts []chromedp.EmulateViewportOption
				if width < 600 {
					opts = append(opts, chromedp.EmulateMobile)
				}
				do(t, ctx, chromedp.EmulateViewport(width, 800, opts...), chromedp.Navigate(srv.URL()+"/demo?lang="+l))
				waitFor(t, ctx, bannerShown)
				assert.Equal(t, l, eval[string](t, ctx, bannerRoot+`.querySelector("[role=region]").lang`))
				eval[bool](t, ctx, axe+";true")
				res, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](axeSerious, chromedp.EvalAwaitPromise))
				require.NoError(t, err)
				require.Greater(t, res.Passes, 10, "axe ran its rules")
				assert.Empty(t, res.Violations)
				assert.LessOrEqual(t, eval[int64](t, ctx, `document.documentElement.scrollWidth`), width, "no sideways scrolling")
				// The buttons fit the screen and can be pressed there.
				assert.True(t, eval[bool](t, ctx, `[...`+bannerRoot+`.querySelectorAll("button")].every(b => { const r = b.getBoundingClientRect();
					return r.right <= innerWidth && r.bottom <= innerHeight && `+bannerRoot+`.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === b; })`))
			})
		}
	}
}

// Where a page cannot draw the first layer (no shadow DOM), the
// server-rendered banner does it in a frame, with plain forms.
func TestBannerWithoutShadowDOM(t *testing.T) {
	ctx, log := freshTab(t)
	srv := startServer(t)
	do(t, ctx,
		call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `delete Element.prototype.attachShadow;`}),
		chromedp.Navigate(srv.URL()+"/demo?lang=en"),
	)
	waitFor(t, ctx, `!!(`+bannerFrame+` && `+frameDoc+` && `+frameDoc+`.getElementById("kc-accept"))`)
	assert.False(t, eval[bool](t, ctx, `!!`+bannerHost))
	assert.Empty(t, eval[string](t, ctx, `new URL(`+bannerFrame+`.src).searchParams.get("layer") || ""`), "the first layer")
	do(t, ctx, chromedp.Evaluate[chromedp.Void](frameDoc+`.getElementById("kc-accept").click()`))
	waitFor(t, ctx, `!`+bannerFrame+` && KaiconnConsent.get().decided`)
	waitFor(t, ctx, `window.__demoAnalyticsRuns === 1`)
	id := eval[string](t, ctx, `KaiconnConsent.get().receipt`)
	assert.Equal(t, http.StatusOK, receiptKnown(t, srv.URL(), id), "the form post recorded it")
	assert.Empty(t, log.wasm())
}
