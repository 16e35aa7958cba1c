package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/kaiconn/consent/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// agreeTo makes a first-launch decision granting ids, through the plain
// form.
func agreeTo(t *testing.T, ctx context.Context, srv *server.Server, ids ...string) {
	t.Helper()
	openGate(t, ctx, srv, "&wasm=false", false)
	do(t, ctx, chromedp.Click(chromedp.ID("kc-gate-choices-summary")))
	for _, id := range ids {
		do(t, ctx, chromedp.Click(chromedp.ID("kc-p-"+id)))
	}
	do(t, ctx, chromedp.Click(chromedp.ID("kc-adult")), chromedp.Click(chromedp.ID("kc-agree")),
		chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="agreed"]`)))
	waitRecorded(t, ctx) // gate.js records it in the background
}

func openSettings(t *testing.T, ctx context.Context, srv *server.Server, query string, wasm bool) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(srv.URL()+"/settings/privacy?lang=en"+query), chromedp.WaitVisible(chromedp.ID("kc-save")))
	if wasm {
		do(t, ctx, waitWasm())
	}
}

func TestSettings(t *testing.T) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			srv := startServer(t)

			t.Run("WithdrawOne", func(t *testing.T) {
				ctx := hostTab(t, "ios")
				agreeTo(t, ctx, srv, "location", "push")
				openSettings(t, ctx, srv, m.query, m.wasm)
				assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-p-location').checked`), "shows the real choice")
				assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-p-push').checked`))
				assert.False(t, eval[bool](t, ctx, `document.getElementById('kc-p-analytics').checked`))
				assert.Equal(t, "/privacy?lang=en", eval[string](t, ctx, `document.getElementById('kc-policy-link').getAttribute('href')`), "the policy one tap away")
				assert.Equal(t, 5, eval[int](t, ctx, `document.querySelectorAll('#kc-sharing tbody tr').length`), "the five SDKs")
				assert.Empty(t, messages(t, ctx))

				do(t, ctx,
					chromedp.Click(chromedp.ID("kc-p-location")),
					chromedp.Click(chromedp.ID("kc-save")),
					chromedp.WaitVisible(chromedp.CSS(`#kc-saved[data-kind="withdrawn"]`)),
				)
				got := messages(t, ctx)
				require.Len(t, got, 1)
				assert.Equal(t, "withdrawn", got[0].Decision)
				assert.Equal(t, map[string]bool{"basic": true, "push": true, "location": false, "wechat-share": false, "crash-reports": false, "analytics": false}, got[0].Purposes)
				assert.Equal(t, 2, eval[int](t, ctx, `document.querySelectorAll('#kc-history li').length`), "the history shows both decisions")
				assert.False(t, eval[bool](t, ctx, `document.getElementById('kc-p-location').checked`))
			})

			t.Run("UpdateByKeyboard", func(t *testing.T) {
				ctx := hostTab(t, "android")
				agreeTo(t, ctx, srv, "push")
				openSettings(t, ctx, srv, m.query, m.wasm)
				do(t, ctx, chromedp.Focus(chromedp.ID("kc-policy-link")))
				tabTo(t, ctx, "kc-p-analytics")
				do(t, ctx, chromedp.KeyEvent(" "))
				tabTo(t, ctx, "kc-save")
				do(t, ctx, chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.CSS(`#kc-saved[data-kind="updated"]`)))
				got := messages(t, ctx)
				require.Len(t, got, 1)
				assert.Equal(t, "updated", got[0].Decision)
				assert.True(t, got[0].Purposes["push"])
				assert.True(t, got[0].Purposes["analytics"])
			})

			t.Run("WithdrawAll", func(t *testing.T) {
				ctx := hostTab(t, "android")
				agreeTo(t, ctx, srv, "push", "crash-reports")
				openSettings(t, ctx, srv, m.query, m.wasm)
				do(t, ctx, chromedp.Click(chromedp.ID("kc-withdraw-all")), chromedp.WaitVisible(chromedp.CSS(`#kc-saved[data-kind="withdrawn"]`)))
				got := messages(t, ctx)
				require.Len(t, got, 1)
				for id, on := range got[0].Purposes {
					assert.Equal(t, id == "basic", on, id)
				}
			})
		})
	}
}
