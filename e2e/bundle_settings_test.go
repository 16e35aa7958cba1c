package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/server"
)

// TestBundleSettingsOffline is issue 20's "settings show a state handed
// over by the host and the switch the host says is allowed is on", and a
// change made there with the consent server down. The bundle is served
// from a second origin standing for the app's assets. The person first
// agrees on the bundle's gate to one purpose; the host hands that message
// to the settings as ?state=: the wasm, from the bundle, renders that
// switch on and the others off. Turning another on sends its bridge
// message at the tap. Then the server starts: each receipt is stored
// once, the settings' chained after the gate's, and the chain verifies.
// Nothing is asked of any origin but the bundle's and the server's.
func TestBundleSettingsOffline(t *testing.T) {
	addr := freePort(t)
	origin := "http://" + addr
	assets, m := appAssets(t, origin)
	ctx, log := freshTab(t)
	logWorkers(t, ctx, log)
	do(t, ctx, call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hosts["android"]}))
	open := func(entry, query string) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(assets.URL+"/"+m.Entries[entry]+query), chromedp.WaitVisible(chromedp.ID("main")))
	}

	// The earlier decision, on the gate: push only.
	open("gate", "?lang=en")
	waitFor(t, ctx, `document.documentElement.getAttribute("data-gate") === "ready"`)
	do(t, ctx, chromedp.Click(chromedp.ID("kc-gate-choices-summary")), chromedp.Click(chromedp.ID("kc-p-push")), chromedp.Click(chromedp.ID("kc-adult")), chromedp.Click(chromedp.ID("kc-agree")))
	got := messages(t, ctx)
	require.Len(t, got, 1)
	gate := got[0]
	var allowed []string
	for id, on := range gate.Purposes {
		if on && id != "basic" {
			allowed = append(allowed, id)
		}
	}
	require.Equal(t, []string{"push"}, allowed, "the host's state allows one purpose")

	// Settings with the host's state, offline.
	state, err := json.Marshal(gate)
	require.NoError(t, err)
	open("settings", "?lang=en&state="+base64.RawURLEncoding.EncodeToString(state))
	do(t, ctx, waitWasm())
	waitFor(t, ctx, `window.KaiconnConsent && KaiconnConsent.bundled === true`)
	boxes := eval[map[string]bool](t, ctx, `Object.fromEntries([...document.querySelectorAll('#kc-settings-form input[name="purpose"]')].map(b => [b.value, b.checked]))`)
	require.NotEmpty(t, boxes)
	for id, on := range boxes {
		assert.Equal(t, id == "push", on, "switch %s", id)
	}
	assert.Equal(t, "agreed", eval[string](t, ctx, `document.getElementById("kc-summary").dataset.decision`), "the wasm rendered the host's state")
	assertNoGoApp(t, ctx)
	for _, u := range log.wasm() {
		if strings.HasSuffix(u, ".wasm") {
			assert.True(t, strings.HasPrefix(u, assets.URL+"/"), "the wasm is the bundle's: %s", u)
		}
	}

	// Turn analytics on and save: the worker decides it, and the message
	// arrives with its answer.
	do(t, ctx, chromedp.Click(chromedp.ID("kc-p-analytics")), chromedp.Click(chromedp.ID("kc-save")))
	waitFor(t, ctx, `(window.__kcMessages || []).length >= 1`)
	got = messages(t, ctx)
	require.Len(t, got, 1, "one message for the tap, with the server down")
	change := got[0]
	assert.Equal(t, "updated", change.Decision)
	assert.True(t, change.Purposes["push"])
	assert.True(t, change.Purposes["analytics"])
	assert.False(t, change.Purposes["location"])
	assert.Equal(t, gate.PolicyVersion, change.PolicyVersion)
	assert.NotEqual(t, gate.ReceiptID, change.ReceiptID)
	waitFor(t, ctx, `document.getElementById("kc-saved") && document.getElementById("kc-saved").dataset.kind === "updated"`)
	waitFor(t, ctx, `document.documentElement.getAttribute("data-bundle-receipt") === "queued"`)
	assert.Equal(t, 2, eval[int](t, ctx, `JSON.parse(localStorage.getItem("kc_bundle_queue")).length`), "the gate's and the settings' decisions wait")

	// The server starts; the "online" event sends what waited.
	srv := startServer(t, func(c *server.Config) {
		c.Addr = addr
		c.AllowedOrigins = []string{assets.URL}
		c.AdminToken = "bundle-settings-e2e-token"
	})
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new Event("online"))`))
	for _, id := range []string{gate.ReceiptID, change.ReceiptID} {
		waitForStatus(t, srv.URL(), id)
	}
	waitFor(t, ctx, `document.documentElement.getAttribute("data-bundle-receipt") === "signed"`)
	assert.Equal(t, "ok: 0", pendingSettled(t, ctx))

	records := export(t, srv.URL(), "bundle-settings-e2e-token")
	require.Len(t, records, 2, "each decision stored once")
	download := await(t, ctx, `kaiconnOutbox.download()`)
	var h receipt.History
	require.NoError(t, json.Unmarshal([]byte(download), &h))
	require.Len(t, h.Receipts, 2, "one subject, the device's, holds both")
	assert.Equal(t, gate.ReceiptID, h.Receipts[0].ID)
	assert.Equal(t, change.ReceiptID, h.Receipts[1].ID, "the settings' receipt follows the gate's")
	second, err := h.Receipts[1].Verify(jwks(t, srv.URL()))
	require.NoError(t, err)
	assert.Equal(t, h.Receipts[0].Hash, second.Receipt.PrevHash, "chained after the earlier receipt")
	assert.Equal(t, "updated", second.Receipt.Decision)
	assert.Equal(t, "settings", second.Receipt.Surface)
	assert.NoError(t, receipt.VerifyChain(h, jwks(t, srv.URL())))
	for _, o := range log.origins() {
		assert.Contains(t, []string{assets.URL, origin}, o, "a request to another origin")
	}
}

// TestBundleSettingsSaveBeforeWasm: a Save tapped on the bundle's settings
// while the wasm is still on its way (its download held here) does not
// post the page's form to the consent server, which would refuse it and
// leave the page: bundle.js holds it, and once the wasm is ready the
// change is decided and its message sent, with the switch the person
// flipped before.
func TestBundleSettingsSaveBeforeWasm(t *testing.T) {
	origin := "http://" + freePort(t)
	assets, m := appAssets(t, origin)
	ctx, log := freshTab(t)
	paused := make(chan fetch.RequestID, 4)
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- e.RequestID
		}
	}))
	do(t, ctx,
		call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hosts["android"]}),
		call(fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*.wasm", RequestStage: fetch.RequestStageRequest}}}))
	state, err := json.Marshal(map[string]any{"v": 2, "type": "consent", "decision": "agreed", "policyVersion": m.PolicyVersion,
		"purposes":  map[string]bool{"basic": true, "push": true, "wechat-share": false, "location": false, "crash-reports": false, "analytics": false},
		"receiptId": "0d6f5b0e-8a52-4c33-9a57-0c7f2f8e2a10", "at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
	require.NoError(t, err)
	do(t, ctx, chromedp.Navigate(assets.URL+"/"+m.Entries["settings"]+"?lang=en&state="+base64.RawURLEncoding.EncodeToString(state)),
		chromedp.WaitVisible(chromedp.ID("kc-save")))
	var wasm fetch.RequestID
	select {
	case wasm = <-paused:
	case <-time.After(30 * time.Second):
		t.Fatal("the wasm was never asked for")
	}
	// A switch is a native tick box: it answers at once, and settings.js
	// marks the change unsaved, with the wasm nowhere.
	do(t, ctx, chromedp.Click(chromedp.ID("kc-p-analytics")))
	assert.True(t, eval[bool](t, ctx, `document.getElementById("kc-p-analytics").checked`))
	assert.True(t, eval[bool](t, ctx, `document.getElementById("main").hasAttribute("data-unsaved")`), "marked unsaved")
	do(t, ctx, chromedp.Click(chromedp.ID("kc-save")))
	waitFor(t, ctx, `document.documentElement.getAttribute("data-bundle-held") === "kc-save"`)
	assert.Equal(t, "true", eval[string](t, ctx, `document.getElementById("kc-save").getAttribute("aria-busy")`), "the held Save shows it is pending")
	assert.Equal(t, assets.URL, eval[string](t, ctx, `location.origin`), "the page stays")
	assert.Empty(t, messages(t, ctx), "no decision before the wasm decides it")

	do(t, ctx, call(fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: wasm}))
	do(t, ctx, waitWasm())
	waitFor(t, ctx, `(window.__kcMessages || []).length === 1`)
	got := messages(t, ctx)
	assert.Equal(t, "updated", got[0].Decision)
	assert.True(t, got[0].Purposes["analytics"], "the flip made before the wasm counts")
	assert.True(t, got[0].Purposes["push"])
	assert.Equal(t, assets.URL, eval[string](t, ctx, `location.origin`))
	waitFor(t, ctx, `document.getElementById("kc-saved") && document.getElementById("kc-saved").dataset.kind === "updated"`)
	assert.False(t, eval[bool](t, ctx, `document.documentElement.hasAttribute("data-bundle-held") || document.getElementById("kc-save").hasAttribute("aria-busy")`), "no longer pending")
	assert.True(t, eval[bool](t, ctx, `document.getElementById("kc-p-analytics").checked && !document.getElementById("main").hasAttribute("data-unsaved")`), "the saved state, saved")

	// The next change starts from the one just made: "Withdraw all" turns
	// off what the host's state and the change allowed, and the history
	// shows all three decisions.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("kc-rights").open = true; document.getElementById("kc-rights").kcMarked = true`))
	do(t, ctx, chromedp.Click(chromedp.ID("kc-withdraw-all")))
	waitFor(t, ctx, `(window.__kcMessages || []).length === 2`)
	got = messages(t, ctx)
	assert.Equal(t, "withdrawn", got[1].Decision)
	assert.False(t, got[1].Purposes["analytics"])
	assert.False(t, got[1].Purposes["push"])
	assert.NotEqual(t, got[0].ReceiptID, got[1].ReceiptID)
	waitFor(t, ctx, `document.getElementById("kc-saved") && document.getElementById("kc-saved").dataset.kind === "withdrawn"`)
	assert.Equal(t, []string{"withdrawn", "updated", "agreed"}, eval[[]string](t, ctx, `[...document.querySelectorAll("#kc-history > li")].map(li => li.dataset.kind)`))
	assert.Equal(t, 2, eval[int](t, ctx, `JSON.parse(localStorage.getItem("kc_bundle_queue")).length`), "both changes wait for their receipts")
	assert.True(t, eval[bool](t, ctx, `document.getElementById("kc-rights").kcMarked === true && document.getElementById("kc-rights").open`), "the rights centre is the page's own, as the person left it")
	assertNoGoApp(t, ctx)
	for _, o := range log.origins() {
		assert.Contains(t, []string{assets.URL, origin}, o, "a request to another origin")
	}
}

// assertNoGoApp: on the bundle's settings the wasm runs only in boot.js's
// worker. The page's main thread never loads wasm_exec.js (window.Go) nor
// starts the go-app program (its kc-wasm-main mark), so no long task of
// the wasm's start holds up a tap there.
func assertNoGoApp(t *testing.T, ctx context.Context) {
	t.Helper()
	assert.Equal(t, "undefined", eval[string](t, ctx, `typeof window.Go`), "wasm_exec.js on the page")
	assert.Equal(t, 0, eval[int](t, ctx, `performance.getEntriesByName("kc-wasm-main").length`), "go-app started on the page")
}
