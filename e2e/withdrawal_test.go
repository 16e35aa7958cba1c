package e2e

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/server"
)

// TestSettingsPartialWithdrawalOnTheBundle: on the app bundle's settings, a
// change that turns one purpose off while another stays on sends a bridge
// message that says withdrawn, and its receipt, ordered from the consent
// server, signed by the device and chained after the gate's (by the
// outbox's rebuild: the gate's receipt was acknowledged first), says
// withdrawn too, with the purpose turned off withdrawn, not refused.
func TestSettingsPartialWithdrawalOnTheBundle(t *testing.T) {
	addr := freePort(t)
	origin := "http://" + addr
	assets, m := appAssets(t, origin)
	const token = "partial-withdrawal-e2e-token"
	srv := startServer(t, func(c *server.Config) {
		c.Addr = addr
		c.AllowedOrigins = []string{assets.URL}
		c.AdminToken = token
	})
	ctx, _ := freshTab(t)
	do(t, ctx, call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hosts["android"]}))
	open := func(entry, query string) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(assets.URL+"/"+m.Entries[entry]+query), chromedp.WaitVisible(chromedp.ID("main")))
	}

	// The gate: push and location allowed; its receipt is stored.
	open("gate", "?lang=en")
	waitFor(t, ctx, `document.documentElement.getAttribute("data-gate") === "ready"`)
	do(t, ctx, chromedp.Click(chromedp.ID("kc-gate-choices-summary")), chromedp.Click(chromedp.ID("kc-p-push")),
		chromedp.Click(chromedp.ID("kc-p-location")), chromedp.Click(chromedp.ID("kc-adult")), chromedp.Click(chromedp.ID("kc-agree")))
	got := messages(t, ctx)
	require.Len(t, got, 1)
	gate := got[0]
	require.True(t, gate.Purposes["push"] && gate.Purposes["location"])
	waitForStatus(t, srv.URL(), gate.ReceiptID)
	assert.Equal(t, "ok: 0", pendingSettled(t, ctx))

	// Settings with the host's state: location off, push stays on.
	state, err := json.Marshal(gate)
	require.NoError(t, err)
	open("settings", "?lang=en&state="+base64.RawURLEncoding.EncodeToString(state))
	do(t, ctx, waitWasm())
	waitFor(t, ctx, `window.KaiconnConsent && KaiconnConsent.bundled === true`)
	do(t, ctx, chromedp.Click(chromedp.ID("kc-p-location")), chromedp.Click(chromedp.ID("kc-save")))
	waitFor(t, ctx, `(window.__kcMessages || []).length === 1`)
	change := messages(t, ctx)[0]
	assert.Equal(t, "withdrawn", change.Decision, "only a purpose turned off")
	assert.True(t, change.Purposes["push"])
	assert.False(t, change.Purposes["location"])

	waitForStatus(t, srv.URL(), change.ReceiptID)
	var stored *receipt.Signed
	for _, c := range export(t, srv.URL(), token) {
		if c.ID == change.ReceiptID {
			stored = decode(t, c.Envelope)
		}
	}
	require.NotNil(t, stored)
	assert.Equal(t, change.Decision, stored.Receipt.Decision, "the receipt says what the message said")
	assert.Equal(t, receipt.StateWithdrawn, states(stored)["location"])
	assert.Equal(t, receipt.StateGiven, states(stored)["push"])
}
