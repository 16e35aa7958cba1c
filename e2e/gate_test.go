package e2e

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"testing"
	"testing/fstest"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	policydata "github.com/kaiconn/consent/locales/policy"
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

// bridgeMessage is what the fake hosts record.
type bridgeMessage struct {
	Type          string          `json:"type"`
	Decision      string          `json:"decision"`
	PolicyVersion string          `json:"policyVersion"`
	Purposes      map[string]bool `json:"purposes"`
	ReceiptID     string          `json:"receiptId"`
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

// modes are the two ways every page must work: before the wasm arrives
// (boot.js honours ?wasm=false) and enhanced by it.
var modes = []struct {
	name  string
	query string
	wasm  bool
}{
	{"BeforeWasm", "&wasm=false", false},
	{"Wasm", "", true},
}

func openGate(t *testing.T, ctx context.Context, srv *server.Server, query string, wasm bool) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(srv.URL()+"/consent?lang=en"+query), chromedp.WaitVisible(chromedp.ID("kc-disagree")))
	if wasm {
		do(t, ctx, waitWasm())
	}
}

var optional = []string{"push", "wechat-share", "location", "crash-reports", "analytics"}

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

// confirmAdult ticks the 18+ box and, with the wasm, waits until Agree has
// become available.
func confirmAdult(t *testing.T, ctx context.Context, wasm bool) {
	t.Helper()
	do(t, ctx, chromedp.Click(chromedp.ID("kc-adult")))
	if wasm {
		do(t, ctx, chromedp.WaitReady(chromedp.CSS(`#kc-agree:not([aria-disabled])`)))
	}
}

func TestGate(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			srv := startServer(t)

			t.Run("NothingPreTicked", func(t *testing.T) {
				ctx := hostTab(t, "android")
				openGate(t, ctx, srv, m.query, m.wasm)
				assert.Equal(t, 6, eval[int](t, ctx, `document.querySelectorAll('#kc-gate-form input[type=checkbox]').length`))
				assert.Equal(t, 0, eval[int](t, ctx, `document.querySelectorAll('#kc-gate-form input:checked').length`))
				assert.Equal(t, "true", eval[string](t, ctx, `document.querySelector('[role=dialog]').getAttribute('aria-modal')`))
				assert.Empty(t, messages(t, ctx), "nothing is sent before a decision")
			})

			t.Run("DisagreeAndroid", func(t *testing.T) {
				ctx := hostTab(t, "android")
				openGate(t, ctx, srv, m.query, m.wasm)
				do(t, ctx, chromedp.Click(chromedp.ID("kc-disagree")), chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="declined"]`)))
				got := messages(t, ctx)
				require.Len(t, got, 1, "exactly one message")
				assert.Equal(t, "consent", got[0].Type)
				assert.Equal(t, "declined", got[0].Decision)
				assert.Equal(t, "2022-10", got[0].PolicyVersion)
				assert.Len(t, got[0].ReceiptID, 36)
				assert.True(t, got[0].Purposes["basic"], "basic use goes on")
				for _, id := range optional {
					v, ok := got[0].Purposes[id]
					assert.True(t, ok, id)
					assert.False(t, v, id)
				}
				do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("kc-gate-title")))
				assert.Empty(t, messages(t, ctx), "a reload does not send it again")
			})

			t.Run("CustomChoiceIOS", func(t *testing.T) {
				ctx := hostTab(t, "ios")
				openGate(t, ctx, srv, m.query, m.wasm)
				do(t, ctx,
					chromedp.Click(chromedp.ID("kc-gate-choices-summary")),
					chromedp.Click(chromedp.ID("kc-p-location")),
					chromedp.Click(chromedp.ID("kc-p-analytics")),
				)
				confirmAdult(t, ctx, m.wasm)
				do(t, ctx,
					chromedp.Click(chromedp.ID("kc-agree")),
					chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="agreed"]`)),
				)
				got := messages(t, ctx)
				require.Len(t, got, 1)
				assert.Equal(t, "agreed", got[0].Decision)
				assert.Equal(t, map[string]bool{"basic": true, "location": true, "analytics": true, "push": false, "wechat-share": false, "crash-reports": false}, got[0].Purposes)
			})

			t.Run("ErrAdultNotConfirmed", func(t *testing.T) {
				ctx := hostTab(t, "android")
				openGate(t, ctx, srv, m.query, m.wasm)
				if m.wasm {
					assert.Equal(t, "true", eval[string](t, ctx, `document.getElementById('kc-agree').getAttribute('aria-disabled')`))
					assert.NotEmpty(t, eval[string](t, ctx, `document.getElementById('kc-agree-why').textContent`), "the page says why")
				}
				do(t, ctx,
					chromedp.Click(chromedp.ID("kc-gate-choices-summary")),
					chromedp.Click(chromedp.ID("kc-p-push")),
					chromedp.Click(chromedp.ID("kc-agree")),
					chromedp.WaitVisible(chromedp.ID("kc-gate-error")),
				)
				assert.Contains(t, eval[string](t, ctx, `document.getElementById('kc-gate-error').textContent`), "18")
				assert.Empty(t, messages(t, ctx))
				assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-p-push').checked`), "the person's tick is kept")
				// Nothing was recorded: the settings page has no decision.
				do(t, ctx, chromedp.Navigate(srv.URL()+"/settings/privacy?lang=en&wasm=false"), chromedp.WaitVisible(chromedp.ID("kc-no-decision")))
			})

			t.Run("KeyboardOnly", func(t *testing.T) {
				ctx := hostTab(t, "android")
				openGate(t, ctx, srv, m.query, m.wasm)
				tabTo(t, ctx, "kc-gate-choices-summary")
				do(t, ctx, chromedp.KeyEvent(kb.Enter)) // opens the details
				tabTo(t, ctx, "kc-p-crash-reports")
				do(t, ctx, chromedp.KeyEvent(" "))
				tabTo(t, ctx, "kc-adult")
				do(t, ctx, chromedp.KeyEvent(" "))
				tabTo(t, ctx, "kc-agree")
				do(t, ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="agreed"]`)))
				got := messages(t, ctx)
				require.Len(t, got, 1)
				for id, on := range got[0].Purposes {
					assert.Equal(t, id == "basic" || id == "crash-reports", on, id)
				}
			})
		})
	}
}

// With the wasm running, Tab from the last control comes back to the first
// one of the dialog instead of leaving it.
func TestGateFocusStaysInDialog(t *testing.T) {
	srv := startServer(t)
	ctx := hostTab(t, "android")
	openGate(t, ctx, srv, "", true)
	tabTo(t, ctx, "kc-agree")
	for range 40 {
		do(t, ctx, chromedp.KeyEvent(kb.Tab))
		inside := eval[bool](t, ctx, `document.querySelector('[role=dialog]').contains(document.activeElement)`)
		require.True(t, inside, "focus left the dialog")
	}
}

// A later policy version asks only what changed since the accepted one.
func TestGatePolicyChange(t *testing.T) {
	cat, pol := laterPolicy(t)
	// One deployment, upgraded: the same data directory, so the same key
	// signs the decision cookie.
	data := t.TempDir()
	old := startServer(t, func(c *server.Config) { c.DataDir = data })
	ctx := hostTab(t, "android")
	openGate(t, ctx, old, "&wasm=false", false)
	do(t, ctx,
		chromedp.Click(chromedp.ID("kc-gate-choices-summary")),
		chromedp.Click(chromedp.ID("kc-p-location")),
		chromedp.Click(chromedp.ID("kc-p-push")),
		chromedp.Click(chromedp.ID("kc-adult")),
		chromedp.Click(chromedp.ID("kc-agree")),
		chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="agreed"]`)),
	)
	// The same browser meets a server with the later version. Cookies
	// are per host, not per port, so the decision carries over.
	require.NoError(t, old.Close())
	later := startServer(t, func(c *server.Config) { c.CatalogueFS, c.PolicyFS, c.DataDir = cat, pol, data })
	// Ticking only some purposes refused the others, so within 48 hours
	// the gate shows the current choice rather than asking again...
	do(t, ctx, chromedp.Navigate(later.URL()+"/consent?lang=en&wasm=false"), chromedp.WaitVisible(chromedp.ID("kc-change-link")))
	// ...until the person opens the choices themselves.
	assert.Contains(t, eval[string](t, ctx, `document.getElementById('kc-change-link').getAttribute('href')`), "open=1")
	do(t, ctx, chromedp.Navigate(later.URL()+"/consent?lang=en&open=1&wasm=false"), chromedp.WaitVisible(chromedp.ID("kc-agree")))
	ids := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('input[name=purpose]')).map(e => e.value)`)
	assert.Equal(t, []string{"location", "sensors"}, ids, "only the changed and the new purpose")
	assert.Equal(t, 0, eval[int](t, ctx, `document.querySelectorAll('input[name=purpose]:checked').length`))
	do(t, ctx,
		chromedp.Click(chromedp.ID("kc-p-sensors")),
		chromedp.Click(chromedp.ID("kc-adult")),
		chromedp.Click(chromedp.ID("kc-agree")),
		chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="agreed"]`)),
	)
	got := messages(t, ctx)
	require.Len(t, got, 1)
	assert.Equal(t, "2026-12", got[0].PolicyVersion)
	assert.Equal(t, map[string]bool{"basic": true, "push": true, "location": false, "sensors": true, "wechat-share": false, "crash-reports": false, "analytics": false}, got[0].Purposes, fmt.Sprint(got[0]))
}

// laterPolicy is the embedded catalogues and policy texts plus the
// fictitious 2026-12 version from testdata.
func laterPolicy(t *testing.T) (fstest.MapFS, fstest.MapFS) {
	t.Helper()
	cat := fstest.MapFS{}
	copyInto(t, cat, catalogues.FS, "")
	copyInto(t, cat, os.DirFS("../testdata/catalogue"), "")
	pol := fstest.MapFS{}
	copyInto(t, pol, policydata.FS, "")
	copyInto(t, pol, os.DirFS("../testdata/policy/2026-12"), "2026-12/")
	return cat, pol
}

func copyInto(t *testing.T, dst fstest.MapFS, src fs.FS, prefix string) {
	t.Helper()
	require.NoError(t, fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(src, p)
		dst[prefix+p] = &fstest.MapFile{Data: b}
		return err
	}))
}

// What the person did on the server-rendered page while the wasm was
// loading survives the takeover: ticks, the 18+ box, the open choices and
// the focus.
func TestGateWasmArrivesLate(t *testing.T) {
	srv := startServer(t)
	ctx := hostTab(t, "ios")
	openGate(t, ctx, srv, "&wasm=false", false)
	do(t, ctx,
		chromedp.Click(chromedp.ID("kc-gate-choices-summary")),
		chromedp.Click(chromedp.ID("kc-p-push")),
		chromedp.Click(chromedp.ID("kc-adult")),
		chromedp.Focus(chromedp.ID("kc-p-location")),
	)
	// The wasm arrives now: boot.js runs again without ?wasm=false.
	eval[bool](t, ctx, `history.replaceState(null, "", "/consent?lang=en");
var s = document.createElement("script"); s.src = "/static/boot.js"; document.head.appendChild(s); true`)
	do(t, ctx, waitWasm(), chromedp.WaitReady(chromedp.CSS(`#kc-agree:not([aria-disabled])`)))
	assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-p-push').checked`))
	assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-adult').checked`))
	assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-gate-choices').open`))
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`#kc-p-location:focus`)))
	do(t, ctx, chromedp.Click(chromedp.ID("kc-agree")), chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="agreed"]`)))
	got := messages(t, ctx)
	require.Len(t, got, 1)
	for id, on := range got[0].Purposes {
		assert.Equal(t, id == "basic" || id == "push", on, id)
	}
}
