package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// The wasm renders the settings' parts of the state from their templ view
// (views/settingsview) and puts a part anew only when its markup changed.
// A save changes the notices, the summary, the switches and the history,
// not the parts no choice changes: those stay the very nodes the person
// was using (an open disclosure stays open), the history stays open if it
// was, focus goes to the notice, and a switch flipped after the save is
// what the next save sends.
func TestSettingsRenderedAnewKeepsThePage(t *testing.T) {
	srv := startServer(t)
	ctx := hostTab(t, "ios")
	agreeTo(t, ctx, srv, "push")
	openSettings(t, ctx, srv, "", true)
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#kc-history-more > summary`)),
		chromedp.Click(chromedp.CSS(`#kc-rights > summary`)),
	)
	// A mark on each kept node, which a node made anew would not carry.
	eval[bool](t, ctx, `['kc-settings-nav','kc-rights','kc-contact','kc-shared'].every(function (id) { document.getElementById(id).kcKept = true; return true; })`)
	do(t, ctx,
		chromedp.Click(chromedp.ID("kc-p-location")),
		chromedp.Click(chromedp.ID("kc-save")),
		chromedp.WaitVisible(chromedp.CSS(`#kc-saved[data-kind="updated"]`)),
	)
	for _, id := range []string{"kc-settings-nav", "kc-rights", "kc-contact", "kc-shared"} {
		assert.True(t, eval[bool](t, ctx, `document.getElementById('`+id+`').kcKept === true`), "#%s is the node it was", id)
	}
	assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-rights').open`), "the rights centre stays open")
	assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-history-more').open`), "the history stays open")
	assert.Equal(t, 2, eval[int](t, ctx, `document.querySelectorAll('#kc-history li').length`))
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`#kc-saved:focus`)))
	assert.True(t, eval[bool](t, ctx, `document.getElementById('kc-p-location').checked`))

	// A switch flipped now, and saved: the click reaches the component
	// through <main>, and the message says what the boxes show.
	do(t, ctx,
		chromedp.Click(chromedp.ID("kc-p-push")),
		chromedp.Click(chromedp.ID("kc-save")),
		chromedp.WaitVisible(chromedp.CSS(`#kc-summary[data-granted="1"]`)),
	)
	got := messages(t, ctx)
	if assert.Len(t, got, 2) {
		assert.Equal(t, appPurposes("location"), got[1].Purposes)
	}
	assert.Equal(t, 3, eval[int](t, ctx, `document.querySelectorAll('#kc-history li').length`))
}
