package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Fake host apps, injected before any page script: each records what the
// page posts, as the native side would receive it (Android gets a string,
// iOS an object).
var hosts = map[string]string{
	"android": `window.__kcMessages = [];
window.KaiconnConsentBridge = { postMessage: function (s) {
  if (typeof s !== "string") { throw new Error("Android bridge takes a string"); }
  window.__kcMessages.push(JSON.parse(s));
} };`,
	"ios": `window.__kcMessages = [];
window.webkit = { messageHandlers: { kaiconnConsent: { postMessage: function (o) {
  if (typeof o !== "object") { throw new Error("iOS bridge takes an object"); }
  window.__kcMessages.push(JSON.parse(JSON.stringify(o)));
} } } };`,
}

// bridgeMessage is what the fake hosts record (docs/bridge.md, version 2).
type bridgeMessage struct {
	V             int             `json:"v"`
	Type          string          `json:"type"`
	Decision      string          `json:"decision"`
	PolicyVersion string          `json:"policyVersion"`
	Purposes      map[string]bool `json:"purposes"`
	ReceiptID     string          `json:"receiptId"`
	At            string          `json:"at"`
}

// hostTab opens a tab with a fake host app installed on every document.
func hostTab(t *testing.T, host string) context.Context {
	t.Helper()
	ctx := newTab(t)
	do(t, ctx) // opens the tab
	// Tabs share the browser's cookie jar, and cookies ignore the port:
	// each test starts as a first launch.
	_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
	require.NoError(t, err)
	_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hosts[host]})
	require.NoError(t, err)
	return ctx
}

func messages(t *testing.T, ctx context.Context) []bridgeMessage {
	t.Helper()
	return eval[[]bridgeMessage](t, ctx, `window.__kcMessages || []`)
}

// modes are the two ways the wasm-enhanced pages must work: before the wasm
// arrives (boot.js honours ?wasm=false) and enhanced by it.
var modes = []struct {
	name  string
	query string
	wasm  bool
}{
	{"BeforeWasm", "&wasm=false", false},
	{"Wasm", "", true},
}

// openGate opens the gate and waits until its buttons show. The gate loads
// no wasm (gate.js takes the decision), so wasm changes nothing here; it
// stays for the callers that run every page in both modes.
func openGate(t *testing.T, ctx context.Context, srv *server.Server, query string, wasm bool) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(srv.URL()+"/consent?lang=en"+query), chromedp.WaitVisible(chromedp.ID("kc-disagree")))
}

var optional = appOptional()

// tabTo presses Tab until the element with id has focus: the control is
// reachable by keyboard alone, in document order.
func tabTo(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	for range 80 {
		do(t, ctx, chromedp.KeyEvent(kb.Tab))
		if eval[string](t, ctx, `document.activeElement ? document.activeElement.id : ""`) == id {
			return
		}
	}
	t.Fatalf("Tab never reached #%s", id)
}

// confirmAdult ticks the 18+ box.
func confirmAdult(t *testing.T, ctx context.Context, _ bool) {
	t.Helper()
	do(t, ctx, chromedp.Click(chromedp.ID("kc-adult")))
}

// gateModes are the two ways the gate takes a decision: gate.js at the
// tap, and the plain form when gate.js cannot run (here: it is blocked),
// which posts and lands on the result page.
var gateModes = []struct {
	name   string
	script bool
}{
	{"GateJS", true},
	{"FormFallback", false},
}

// gateTab is hostTab for a gate mode: FormFallback blocks gate.js.
func gateTab(t *testing.T, host string, script bool) context.Context {
	t.Helper()
	ctx := hostTab(t, host)
	if !script {
		do(t, ctx, call(network.Enable, network.EnableParams{}), call(network.SetBlockedURLs, network.SetBlockedURLsParams{
			URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/static/gate.*js", Block: true}},
		}))
	}
	return ctx
}

// decided waits for the result of a decision: in place with gate.js, on
// the result page without.
func decided(t *testing.T, ctx context.Context, decision string) {
	t.Helper()
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="`+decision+`"]`)))
}

func TestGate(t *testing.T) {
	for _, m := range gateModes {
		t.Run(m.name, func(t *testing.T) {
			srv := startServer(t)

			t.Run("NothingPreTicked", func(t *testing.T) {
				ctx := gateTab(t, "android", m.script)
				openGate(t, ctx, srv, "", false)
				assert.Equal(t, 6, eval[int](t, ctx, `document.querySelectorAll('#kc-gate-form input[type=checkbox]').length`))
				assert.Equal(t, 0, eval[int](t, ctx, `document.querySelectorAll('#kc-gate-form input:checked').length`))
				assert.Empty(t, messages(t, ctx), "nothing is sent before a decision")
				assert.False(t, eval[bool](t, ctx, `!!document.querySelector('script[src*="boot.js"]')`), "the gate loads no wasm")
			})

			t.Run("DisagreeAndroid", func(t *testing.T) {
				ctx := gateTab(t, "android", m.script)
				openGate(t, ctx, srv, "", false)
				before := time.Now()
				do(t, ctx, chromedp.Click(chromedp.ID("kc-disagree")))
				decided(t, ctx, "declined")
				got := messages(t, ctx)
				require.Len(t, got, 1, "exactly one message")
				assert.Equal(t, 2, got[0].V)
				assert.Equal(t, "consent", got[0].Type)
				assert.Equal(t, "declined", got[0].Decision)
				assert.Equal(t, catalogues.Latest, got[0].PolicyVersion)
				assert.Len(t, got[0].ReceiptID, 36)
				at, err := time.Parse(time.RFC3339, got[0].At)
				require.NoError(t, err, "at is RFC 3339")
				assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, got[0].At, "UTC, milliseconds")
				assertSince(t, before, at)
				assert.True(t, got[0].Purposes["basic"], "basic use goes on")
				for _, id := range optional {
					v, ok := got[0].Purposes[id]
					assert.True(t, ok, id)
					assert.False(t, v, id)
				}
				if m.script {
					assert.Equal(t, "/consent", eval[string](t, ctx, `location.pathname`), "the result is shown in place")
					waitFor(t, ctx, `document.documentElement.getAttribute("data-receipt") === "recorded"`)
				}
				assert.Equal(t, http.StatusOK, receiptKnown(t, srv.URL(), got[0].ReceiptID), "the receipt is the message's")
				do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("main")))
				assert.Empty(t, messages(t, ctx), "a reload does not send it again")
			})

			t.Run("CustomChoiceIOS", func(t *testing.T) {
				ctx := gateTab(t, "ios", m.script)
				openGate(t, ctx, srv, "", false)
				do(t, ctx,
					chromedp.Click(chromedp.ID("kc-gate-choices-summary")),
					chromedp.Click(chromedp.ID("kc-p-location")),
					chromedp.Click(chromedp.ID("kc-p-analytics")),
				)
				confirmAdult(t, ctx, false)
				do(t, ctx, chromedp.Click(chromedp.ID("kc-agree")))
				decided(t, ctx, "agreed")
				got := messages(t, ctx)
				require.Len(t, got, 1)
				assert.Equal(t, "agreed", got[0].Decision)
				assert.Equal(t, appPurposes("location", "analytics"), got[0].Purposes)
				// The result says, in plain words, what is on and what is off;
				// the receipt id waits behind "details".
				on := eval[[]string](t, ctx, `[...document.querySelectorAll('#kc-done-on li')].filter(e => e.checkVisibility()).map(e => e.dataset.purpose)`)
				assert.ElementsMatch(t, []string{"basic", "location", "analytics"}, on)
				off := eval[[]string](t, ctx, `[...document.querySelectorAll('#kc-done-off li')].filter(e => e.checkVisibility()).map(e => e.dataset.purpose)`)
				assert.ElementsMatch(t, appOff("location", "analytics"), off)
				assert.False(t, eval[bool](t, ctx, `document.getElementById('kc-done-receipt').checkVisibility()`), "the receipt id is behind details")
				assert.Equal(t, got[0].ReceiptID, eval[string](t, ctx, `document.getElementById('kc-done-receipt').textContent`))
			})

			t.Run("ErrAdultNotConfirmed", func(t *testing.T) {
				ctx := gateTab(t, "android", m.script)
				openGate(t, ctx, srv, "", false)
				assert.False(t, eval[bool](t, ctx, `document.getElementById('kc-agree').disabled || document.getElementById('kc-agree').hasAttribute('aria-disabled')`), "Agree is never disabled")
				do(t, ctx,
					chromedp.Click(chromedp.ID("kc-gate-choices-summary")),
					chromedp.Click(chromedp.ID("kc-p-push")),
					chromedp.Click(chromedp.ID("kc-agree")),
					chromedp.WaitVisible(chromedp.ID("kc-gate-error")),
				)
				assert.Contains(t, eval[string](t, ctx, `document.getElementById('kc-gate-error').textContent`), "18")
				if m.script {
					assert.Equal(t, "kc-adult", eval[string](t, ctx, `document.activeElement.id`), "focus moves to the confirmation")
				}
				assert.Empty(t, messages(t, ctx))
				assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-p-push').checked`), "the person's tick is kept")
				// Nothing was recorded: the settings page has no decision.
				do(t, ctx, chromedp.Navigate(srv.URL()+"/settings/privacy?lang=en&wasm=false"), chromedp.WaitVisible(chromedp.ID("kc-no-decision")))
			})

			t.Run("KeyboardOnly", func(t *testing.T) {
				ctx := gateTab(t, "android", m.script)
				openGate(t, ctx, srv, "", false)
				tabTo(t, ctx, "kc-gate-choices-summary")
				do(t, ctx, chromedp.KeyEvent(kb.Enter)) // opens the details
				tabTo(t, ctx, "kc-p-crash-reports")
				do(t, ctx, chromedp.KeyEvent(" "))
				tabTo(t, ctx, "kc-adult")
				do(t, ctx, chromedp.KeyEvent(" "))
				tabTo(t, ctx, "kc-agree")
				do(t, ctx, chromedp.KeyEvent(kb.Enter))
				decided(t, ctx, "agreed")
				got := messages(t, ctx)
				require.Len(t, got, 1)
				for id, on := range got[0].Purposes {
					assert.Equal(t, id == "basic" || id == "crash-reports", on, id)
				}
			})
		})
	}
}

// The tap sends the bridge message at once, from the page itself: with the
// wasm blocked, the network cut, and no round trip.
func TestGateTapToBridgeWithoutWasm(t *testing.T) {
	srv := startServer(t)
	ctx := hostTab(t, "ios")
	log := &requestLog{}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			log.mu.Lock()
			log.urls = append(log.urls, e.Request.URL)
			log.mu.Unlock()
		}
	}))
	do(t, ctx, call(network.Enable, network.EnableParams{}), call(network.SetBlockedURLs, network.SetBlockedURLsParams{
		URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/*.wasm", Block: true}, {URLPattern: "*://*:*/wasm_exec*", Block: true}},
	}))
	openGate(t, ctx, srv, "", false)
	setOffline(t, ctx, true)
	do(t, ctx, chromedp.Click(chromedp.ID("kc-adult")))
	took := eval[float64](t, ctx, `(() => { const t0 = performance.now(); document.getElementById('kc-agree').click();
		return window.__kcMessages.length === 1 ? performance.now() - t0 : -1; })()`)
	assert.GreaterOrEqual(t, took, 0.0, "the message is sent during the tap itself")
	got := messages(t, ctx)
	require.Len(t, got, 1)
	assert.Equal(t, "agreed", got[0].Decision)
	assert.True(t, eval[bool](t, ctx, `document.querySelector('h1[data-decision="agreed"]').checkVisibility()`), "the result shows at once")
	assert.Empty(t, log.wasm(), "the gate asks for no wasm, nor boot.js")
	setOffline(t, ctx, false)
	waitFor(t, ctx, `document.documentElement.getAttribute("data-receipt") === "recorded"`)
	assert.Equal(t, http.StatusOK, receiptKnown(t, srv.URL(), got[0].ReceiptID))
}

// gateQueue is the localStorage key of bridge.js's queue.
const gateQueue = `localStorage.getItem("kc_gate_queue")`

// waitRecorded waits until the gate's decision reached the server (its
// queue is empty): the decision cookie comes with the answer, so a test
// that goes on to another page of the same browser waits for it.
func waitRecorded(t *testing.T, ctx context.Context) {
	t.Helper()
	waitFor(t, ctx, gateQueue+` === null`)
}

// The receipt of a decision taken offline arrives exactly once when the
// network comes back: in the same page, and across a reload of another
// page of ours, and again when the same post is resent.
func TestGateReceiptOnceOffline(t *testing.T) {
	srv := startServer(t)

	t.Run("SamePage", func(t *testing.T) {
		ctx := hostTab(t, "android")
		openGate(t, ctx, srv, "", false)
		setOffline(t, ctx, true)
		do(t, ctx, chromedp.Click(chromedp.ID("kc-disagree")))
		decided(t, ctx, "declined")
		got := messages(t, ctx)
		require.Len(t, got, 1, "the host hears of the decision offline")
		id := got[0].ReceiptID
		assert.Equal(t, "pending", eval[string](t, ctx, `document.documentElement.getAttribute("data-receipt")`))
		time.Sleep(1500 * time.Millisecond) // gate.js tries, and fails, meanwhile
		assert.Equal(t, http.StatusNotFound, receiptKnown(t, srv.URL(), id), "nothing reached the server")
		setOffline(t, ctx, false)
		waitFor(t, ctx, `document.documentElement.getAttribute("data-receipt") === "recorded" && `+gateQueue+` === null`)
		assert.Equal(t, http.StatusOK, receiptKnown(t, srv.URL(), id))
		assert.Equal(t, []string{id}, ids(chain(t, ctx, srv.URL())), "exactly once")
	})

	t.Run("AcrossAReload", func(t *testing.T) {
		ctx := hostTab(t, "ios")
		openGate(t, ctx, srv, "", false)
		setOffline(t, ctx, true)
		do(t, ctx, chromedp.Click(chromedp.ID("kc-gate-choices-summary")), chromedp.Click(chromedp.ID("kc-p-push")), chromedp.Click(chromedp.ID("kc-adult")), chromedp.Click(chromedp.ID("kc-agree")))
		decided(t, ctx, "agreed")
		id := messages(t, ctx)[0].ReceiptID
		queued := eval[string](t, ctx, gateQueue)
		require.Contains(t, queued, id)
		// The app is closed offline and opened again once the network is
		// back: the next page of ours sends what was queued.
		do(t, ctx, chromedp.Navigate("about:blank"))
		setOffline(t, ctx, false)
		do(t, ctx, chromedp.Navigate(srv.URL()+"/consent?lang=en"), chromedp.WaitVisible(chromedp.ID("main")))
		waitFor(t, ctx, gateQueue+` === null`)
		assert.Equal(t, http.StatusOK, receiptKnown(t, srv.URL(), id))
		signed := chain(t, ctx, srv.URL())
		require.Equal(t, []string{id}, ids(signed), "exactly once")
		assert.Equal(t, "agreed", signed[0].Receipt.Decision)
		assert.Empty(t, messages(t, ctx), "the message was the tap's, not the flush's")

		// The same post again (its answer lost on the way): acknowledged
		// as the first was, stored once.
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`localStorage.setItem("kc_gate_queue", `+jsString(queued)+`)`), chromedp.Reload())
		waitFor(t, ctx, `!!window.KaiconnConsent && `+gateQueue+` === null`)
		assert.Equal(t, []string{id}, ids(chain(t, ctx, srv.URL())), "exactly once")
	})
}

// A later policy version asks only what changed since the accepted one,
// marks the changed facts, does not ask 18+ again, and Disagree there
// refuses only what changed.
func TestGatePolicyChange(t *testing.T) {
	cat, pol := laterPolicy(t)
	for _, tc := range []struct {
		name, button string
		want         map[string]bool
		decision     string
	}{
		{"Agree", "kc-agree", map[string]bool{"basic": true, "push": true, "location": true, "sensors": true, "wechat-share": false, "crash-reports": false, "analytics": false}, "agreed"},
		{"DisagreeKeepsOtherAnswers", "kc-disagree", map[string]bool{"basic": true, "push": true, "location": false, "sensors": false, "wechat-share": false, "crash-reports": false, "analytics": false}, "withdrawn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// One deployment, upgraded: the same data directory, so the
			// same key signs the decision cookie.
			data := t.TempDir()
			old := startServer(t, func(c *server.Config) { c.DataDir = data }, basePolicy(t))
			ctx := hostTab(t, "android")
			openGate(t, ctx, old, "", false)
			do(t, ctx,
				chromedp.Click(chromedp.ID("kc-gate-choices-summary")),
				chromedp.Click(chromedp.ID("kc-p-location")),
				chromedp.Click(chromedp.ID("kc-p-push")),
				chromedp.Click(chromedp.ID("kc-adult")),
				chromedp.Click(chromedp.ID("kc-agree")),
			)
			decided(t, ctx, "agreed")
			waitFor(t, ctx, gateQueue+` === null`)
			require.NoError(t, old.Close())
			later := startServer(t, func(c *server.Config) { c.CatalogueFS, c.PolicyFS, c.DataDir = cat, pol, data })
			// Ticking only some purposes refused the others, so within 48
			// hours the gate shows the current choice rather than asking...
			do(t, ctx, chromedp.Navigate(later.URL()+"/consent?lang=en"), chromedp.WaitVisible(chromedp.ID("kc-change-link")))
			// ...until the person opens the choices themselves.
			do(t, ctx, chromedp.Navigate(later.URL()+"/consent?lang=en&open=1"), chromedp.WaitVisible(chromedp.ID("kc-agree")))
			assert.Equal(t, "reask", eval[string](t, ctx, `document.getElementById('main').dataset.mode`))
			ids := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('input[name=purpose]')).map(e => e.value)`)
			assert.Equal(t, []string{"location", "sensors"}, ids, "only the changed and the new purpose")
			// location was allowed before: shown on, and said so, so that
			// Agree keeps it; the new sensors starts off.
			assert.Equal(t, []string{"location"}, eval[[]string](t, ctx, `[...document.querySelectorAll('input[name=purpose]:checked')].map(e => e.value)`))
			assert.True(t, eval[bool](t, ctx, `document.querySelector('[data-purpose="location"] [data-was-granted]').checkVisibility()`), "the earlier answer is named")
			assert.False(t, eval[bool](t, ctx, `!!document.getElementById('kc-adult')`), "18+ is not asked again")
			changed := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-purpose="location"] .kc-fact--changed dt')].map(e => e.firstChild.textContent.trim())`)
			assert.NotEmpty(t, changed, "the changed facts of location are marked")
			added := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-purpose="location"] [data-change="added"]')].filter(e => e.checkVisibility()).map(e => e.querySelector('ins').textContent)`)
			assert.Equal(t, []string{"WLAN scan results"}, added, "the change as items, not two long lists")
			assert.Contains(t, eval[string](t, ctx, `document.getElementById('kc-gate-kept').textContent`), "Push notifications", "the screen says what stays")
			assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-gate-choices').open`), "a re-ask shows what changed at once")
			if tc.button == "kc-agree" {
				do(t, ctx, chromedp.Click(chromedp.ID("kc-p-sensors")))
			}
			do(t, ctx, chromedp.Click(chromedp.ID(tc.button)))
			decided(t, ctx, tc.decision)
			got := messages(t, ctx)
			require.Len(t, got, 1)
			assert.Equal(t, localestest.Later, got[0].PolicyVersion)
			assert.Equal(t, tc.decision, got[0].Decision)
			assert.Equal(t, tc.want, got[0].Purposes, fmt.Sprint(got[0]))
			// The server recorded what the message says.
			waitFor(t, ctx, gateQueue+` === null`)
			signed := chain(t, ctx, later.URL())
			require.Len(t, signed, 2)
			last := signed[len(signed)-1].Receipt
			assert.Equal(t, got[0].ReceiptID, last.ID)
			assert.Equal(t, tc.decision, last.Decision)
			for _, p := range last.Purposes {
				assert.Equal(t, tc.want[p.ID], receipt.InEffect(p.State), p.ID)
			}
		})
	}
}

// The 48-hour quiet period holds end to end through a host that hands the
// bridge message back as ?state=: a refusal made minutes ago under the old
// policy is not asked about again under a new one. Without "at" (a
// version 1 state) the gate cannot tell and asks.
func TestGate48HoursThroughTheHost(t *testing.T) {
	cat, pol := laterPolicy(t)
	old := startServer(t, basePolicy(t))
	ctx := hostTab(t, "android")
	openGate(t, ctx, old, "", false)
	do(t, ctx, chromedp.Click(chromedp.ID("kc-disagree")))
	decided(t, ctx, "declined")
	got := messages(t, ctx)
	require.Len(t, got, 1)
	raw := eval[string](t, ctx, `JSON.stringify(window.__kcMessages[0])`)

	later := startServer(t, func(c *server.Config) { c.CatalogueFS, c.PolicyFS = cat, pol })
	open := func(t *testing.T, state string) string {
		t.Helper()
		// A fresh install of the webview: no cookie, only the host's state.
		_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
		require.NoError(t, err)
		do(t, ctx, chromedp.Navigate(later.URL()+"/consent?lang=en&state="+base64.RawURLEncoding.EncodeToString([]byte(state))), chromedp.WaitVisible(chromedp.ID("main")))
		return eval[string](t, ctx, `document.getElementById('main').dataset.mode`)
	}
	t.Run("V2ShowsTheCurrentChoice", func(t *testing.T) {
		assert.Equal(t, "current", open(t, raw), "not the question")
		assert.Contains(t, eval[string](t, ctx, `document.getElementById('kc-gate-intro').textContent`), "declined")
	})
	t.Run("V1StateAsks", func(t *testing.T) {
		var v1 map[string]any
		require.NoError(t, json.Unmarshal([]byte(raw), &v1))
		delete(v1, "v")
		delete(v1, "at")
		b, err := json.Marshal(v1)
		require.NoError(t, err)
		assert.Equal(t, "reask", open(t, string(b)), "a state without at counts as an old refusal")
	})
}

// basePolicy serves the base version only (localestest.Base): the "old"
// server of a test that upgrades to laterPolicy.
func basePolicy(t testing.TB) func(*server.Config) {
	return func(c *server.Config) {
		c.CatalogueFS, c.PolicyFS = localestest.Catalogues(t, localestest.Base), localestest.Policy(t, localestest.Base)
	}
}

// laterPolicy is the base version and the fictitious later one from
// testdata (localestest), whatever locales/ ships.
func laterPolicy(t testing.TB) (fstest.MapFS, fstest.MapFS) {
	t.Helper()
	return localestest.Catalogues(t, localestest.Base, localestest.Later), localestest.Policy(t, localestest.Base, localestest.Later)
}

// buttonLook is what makes Agree and Disagree look alike: box, colours,
// type, border, outline.
const buttonLook = `(id => { const e = document.getElementById(id), s = getComputedStyle(e), r = e.getBoundingClientRect();
	return [e.className, Math.round(r.width) + "x" + Math.round(r.height), s.backgroundColor, s.color, s.fontFamily, s.fontSize, s.fontWeight,
		s.borderTopWidth, s.borderTopColor, s.borderRadius, s.paddingTop, s.paddingLeft, s.outlineStyle, s.outlineColor, s.opacity, s.cursor].join("|"); })`

// smallTargets lists the visible buttons, links, disclosures and
// checkboxes of the page under 44×44 px. A checkbox's target is the label
// around it, which toggles it too.
const smallTargets = `(() => [...document.querySelectorAll("#main a, #main button, #main summary, #main input[type=checkbox]")]
	.filter(e => e.offsetParent !== null)
	.map(e => [e, (e.type === "checkbox" && e.closest("label")) || e])
	.filter(([e, hit]) => { const r = hit.getBoundingClientRect(); return r.width < 44 || r.height < 44; })
	.map(([e, hit]) => { const r = hit.getBoundingClientRect(); return (e.id || e.textContent.trim().slice(0, 30)) + " " + Math.round(r.width) + "x" + Math.round(r.height); }))()`

// The gate on a phone, in both languages, with and without the wasm (it
// loads none): the summary and both buttons in the first viewport, Agree
// and Disagree alike in every state, no target under 44 px.
func TestGateDesign(t *testing.T) {
	srv := startServer(t)
	for _, l := range []string{"en", "zh-Hans"} {
		for _, q := range []string{"", "&wasm=false"} {
			t.Run(l+q, func(t *testing.T) {
				ctx := hostTab(t, "android")
				do(t, ctx,
					chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
					chromedp.Navigate(srv.URL()+"/consent?lang="+l+q),
					chromedp.WaitVisible(chromedp.ID("kc-agree")),
				)
				inView := func(sel string) bool {
					return eval[bool](t, ctx, `(() => { const r = document.querySelector('`+sel+`').getBoundingClientRect();
						return r.height > 0 && r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth; })()`)
				}
				assert.True(t, inView("#kc-agree"), "Agree in the first viewport")
				assert.True(t, inView("#kc-disagree"), "Disagree in the first viewport")
				assert.True(t, eval[bool](t, ctx, `(() => { const s = document.getElementById('kc-gate-summary').getBoundingClientRect(),
					b = document.querySelector('.kc-gate__bar').getBoundingClientRect(); return s.top >= 0 && s.bottom <= b.top; })()`),
					"the summary shows above the buttons, not under them")
				assert.LessOrEqual(t, eval[int](t, ctx, `document.documentElement.scrollWidth`), 360, "no sideways scrolling")

				same := func(state string) {
					t.Helper()
					assert.Equal(t, eval[string](t, ctx, buttonLook+`("kc-agree")`), eval[string](t, ctx, buttonLook+`("kc-disagree")`), state)
				}
				same("initial")
				hover := func(id string) string {
					r := eval[[]float64](t, ctx, `(() => { const r = document.getElementById('`+id+`').getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
					do(t, ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, r[0], r[1]))
					return eval[string](t, ctx, buttonLook+`("`+id+`")`)
				}
				assert.Equal(t, hover("kc-agree"), hover("kc-disagree"), "hover")
				do(t, ctx, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 1, 1))
				tabTo(t, ctx, "kc-disagree")
				focusedDisagree := eval[string](t, ctx, buttonLook+`("kc-disagree")`)
				tabTo(t, ctx, "kc-agree")
				assert.Equal(t, focusedDisagree, eval[string](t, ctx, buttonLook+`("kc-agree")`), "focus")
				assert.Equal(t, "solid", eval[string](t, ctx, `getComputedStyle(document.activeElement).outlineStyle`), "focus shows")
				// 18+ missing: the page says so at the box, not by greying Agree.
				do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById('kc-agree').click()`), chromedp.WaitVisible(chromedp.ID("kc-gate-error")))
				assert.Equal(t, "kc-adult", eval[string](t, ctx, `document.activeElement.id`), "focus moves to the confirmation")
				do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
				same("18+ error")

				do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('details').forEach(d => d.open = true)`))
				assert.Empty(t, eval[[]string](t, ctx, smallTargets), "targets under 44 px")
				assert.Empty(t, messages(t, ctx))
			})
		}
	}
}

// The done page without script says what was decided in plain words and
// hides the receipt id behind details; nothing on the gate is under 44 px.
func TestGateDonePageTargets(t *testing.T) {
	srv := startServer(t)
	for _, l := range []string{"en", "zh-Hans"} {
		t.Run(l, func(t *testing.T) {
			ctx := gateTab(t, "android", false)
			do(t, ctx,
				chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
				chromedp.Navigate(srv.URL()+"/consent?lang="+l),
				chromedp.WaitVisible(chromedp.ID("kc-disagree")),
				chromedp.Click(chromedp.ID("kc-disagree")),
			)
			decided(t, ctx, "declined")
			assert.Equal(t, "/consent/done", eval[string](t, ctx, `location.pathname`))
			assert.False(t, eval[bool](t, ctx, `document.getElementById('kc-done-receipt').checkVisibility()`), "the receipt id is behind details")
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('details').forEach(d => d.open = true)`))
			assert.Len(t, eval[string](t, ctx, `document.getElementById('kc-done-receipt').textContent`), 36)
			assert.Empty(t, eval[[]string](t, ctx, smallTargets))
		})
	}
}

// TestGateScreenshots writes the gate's screenshots at 360×740, in both
// languages and both colour schemes: go test ./e2e -run GateScreenshots
// -screenshots, or make screenshots.
func TestGateScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("run with -screenshots to write the gate's screenshots")
	}
	cat, pol := laterPolicy(t)
	data := t.TempDir()
	srv := startServer(t, func(c *server.Config) { c.DataDir = data }, basePolicy(t))
	for _, l := range []string{"en", "zh-Hans"} {
		for _, scheme := range []string{"light", "dark"} {
			ctx := hostTab(t, "android")
			shoot := func(name string) {
				time.Sleep(400 * time.Millisecond) // switches and disclosures animate
				png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				require.NoError(t, err)
				writeShot(t, fmt.Sprintf("gate-%s-%s-%s.png", name, l, scheme), png)
			}
			do(t, ctx,
				chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
				call(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}),
				chromedp.Navigate(srv.URL()+"/consent?lang="+l),
				chromedp.WaitVisible(chromedp.ID("kc-agree")),
			)
			shoot("ask")
			do(t, ctx, chromedp.Click(chromedp.ID("kc-gate-choices-summary")), chromedp.Evaluate[chromedp.Void](`document.getElementById('kc-p-location').click()`),
				chromedp.Evaluate[chromedp.Void](`document.getElementById('kc-p-location-facts').open = true; document.getElementById('kc-gate-choices').scrollIntoView()`))
			shoot("choices")
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0); document.getElementById('kc-agree').click()`), chromedp.WaitVisible(chromedp.ID("kc-gate-error")))
			shoot("adult-error")
			do(t, ctx, chromedp.Click(chromedp.ID("kc-adult")), chromedp.Click(chromedp.ID("kc-agree")))
			decided(t, ctx, "agreed")
			waitFor(t, ctx, gateQueue+` === null`)
			shoot("done")
			if scheme == "light" {
				// The re-ask under the later version, with the changed facts.
				later := startServer(t, func(c *server.Config) { c.CatalogueFS, c.PolicyFS, c.DataDir = cat, pol, data })
				do(t, ctx, chromedp.Navigate(later.URL()+"/consent?lang="+l+"&open=1"), chromedp.WaitVisible(chromedp.ID("kc-agree")))
				shoot("reask")
				do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-purpose="location"] .kc-fact--changed').scrollIntoView({block: "center"})`))
				shoot("reask-facts")
				require.NoError(t, later.Close())
			}
		}
	}
	// A wide dark screen: one background, no seam beside the column.
	ctx := hostTab(t, "android")
	do(t, ctx,
		chromedp.EmulateViewport(1280, 800),
		call(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}),
		chromedp.Navigate(srv.URL()+"/consent?lang=zh-Hans"),
		chromedp.WaitVisible(chromedp.ID("kc-agree")),
	)
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	writeShot(t, "gate-desktop-zh-Hans-dark.png", png)
}

// Disagree records no consent and the screens claim none: the stored
// receipt says the basic functions are necessary (kaiconn-receipt/3), not
// given with an expiry, and the result page, the gate's current choices and
// the settings say they run because the service needs them, not that the
// person allowed them (issue 21).
func TestGateDisagreeRecordsNecessity(t *testing.T) {
	for _, m := range gateModes {
		t.Run(m.name, func(t *testing.T) {
			srv := startServer(t)
			ctx := gateTab(t, "android", m.script)
			do(t, ctx, chromedp.Navigate(srv.URL()+"/consent?lang=zh-Hans"), chromedp.WaitVisible(chromedp.ID("kc-disagree")))
			do(t, ctx, chromedp.Click(chromedp.ID("kc-disagree")))
			decided(t, ctx, "declined")
			assert.Contains(t, eval[string](t, ctx, `document.querySelector('#kc-gate-done .kc-gate__done-basic').textContent`), "为提供服务所必需")
			assert.Contains(t, eval[string](t, ctx, `document.querySelector('#kc-done-on li[data-purpose="basic"]').textContent`), "不以同意为依据")
			id := eval[string](t, ctx, `document.getElementById('kc-done-receipt').textContent`)
			require.NotEmpty(t, id)
			if m.script {
				waitRecorded(t, ctx)
			}
			states := storedStates(t, ctx, srv, id)
			assert.Equal(t, receipt.StateNecessary, states["basic"], "the basic functions rest on necessity")
			for p, s := range states {
				assert.NotEqual(t, receipt.StateGiven, s, "%s: Disagree gives no consent", p)
			}
			s := chain(t, ctx, srv.URL())
			require.NotEmpty(t, s)
			assert.Equal(t, receipt.SchemaV3, s[len(s)-1].Receipt.Schema)

			do(t, ctx, chromedp.Navigate(srv.URL()+"/consent?lang=zh-Hans"), chromedp.WaitVisible(chromedp.ID("kc-necessary")))
			assert.Contains(t, textByID(t, ctx, "kc-necessary"), "基本功能（必需）：为提供服务所必需")
			assert.NotContains(t, textByID(t, ctx, "kc-granted"), "基本功能", "not among what the person allowed")

			do(t, ctx, chromedp.Navigate(srv.URL()+"/settings/privacy?lang=zh-Hans"), chromedp.WaitVisible(chromedp.ID("kc-p-required")))
			assert.Contains(t, textByID(t, ctx, "kc-p-required"), "不以您的同意为依据")
		})
	}
}

// The gate's notice of sensitive personal information shows the items
// without a tap and, opened, the policy's necessity and impact statements;
// each SDK's details say which of its items are sensitive or location
// (issue 21).
func TestGateSensitiveNotice(t *testing.T) {
	srv := startServer(t)
	ctx := hostTab(t, "android")
	do(t, ctx, chromedp.Navigate(srv.URL()+"/consent?lang=zh-Hans"), chromedp.WaitVisible(chromedp.ID("kc-gate-sensitive-summary")))
	summary := textByID(t, ctx, "kc-gate-sensitive-summary")
	for _, item := range []string{"中国大陆手机号码", "拟使用的用户名和密码", "位置信息"} {
		assert.Contains(t, summary, item)
	}
	do(t, ctx, chromedp.Click(chromedp.ID("kc-gate-sensitive-summary")), chromedp.WaitVisible(chromedp.ID("kc-sensitive-impact")))
	notice := textByID(t, ctx, "kc-gate-sensitive")
	assert.Contains(t, notice, "手机号属于敏感个人信息，收集此类是为了满足相关法律、法规关于网络实名制的要求。")
	assert.Contains(t, textByID(t, ctx, "kc-sensitive-impact"), "一旦泄露、非法提供或滥用可能危害人身和财产安全")

	do(t, ctx, chromedp.Click(chromedp.ID("kc-gate-choices-summary")),
		chromedp.Click(chromedp.CSS(`#kc-p-push-facts > summary`)),
		chromedp.Click(chromedp.CSS(`#kc-p-analytics-facts > summary`)))
	flags := eval[map[string][]string](t, ctx, `(function () {
		var out = {};
		["push", "analytics", "crash-reports"].forEach(function (id) {
			out[id] = Array.prototype.map.call(document.querySelectorAll('#kc-p-' + id + '-facts [data-flag]'), function (e) {
				return e.getAttribute('data-flag') + '=' + e.querySelector('dd').textContent + (e.checkVisibility() ? '' : ' (hidden)');
			});
		});
		return out;
	})()`)
	assert.Equal(t, []string{"sensitive=位置信息", "location=位置信息"}, flags["push"])
	assert.Equal(t, []string{"location=地理位置"}, flags["analytics"])
	assert.Empty(t, flags["crash-reports"])
}
