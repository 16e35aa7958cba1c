package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/lang/texts"
)

// One time-zone rule and one date format (issue 21): whatever zone the
// phone is set to, the gate's moment of decision (shown by gate.js at the
// tap, or by the server's result page without it) and every time on the
// settings page (before the wasm and with it) read exactly as the server's
// Go rule shows them (texts.FormatTime): Beijing time for Chinese readers,
// UTC for English ones, the zone named. Before, the settings page switched
// to the device's zone and gate.js formatted dates its own way.
func TestTimesFollowOneRuleInAnyDeviceZone(t *testing.T) {
	srv := startServer(t)
	for _, zone := range []string{"America/New_York", "Europe/Berlin"} {
		for _, l := range []string{lang.ZhHans, lang.En} {
			for _, m := range gateModes {
				t.Run("Gate/"+zone+"/"+l+"/"+m.name, func(t *testing.T) {
					ctx := gateTab(t, "android", m.script)
					setZone(t, ctx, zone)
					require.Equal(t, zone, eval[string](t, ctx, `Intl.DateTimeFormat().resolvedOptions().timeZone`), "the device's zone is not the rule's")
					do(t, ctx, chromedp.Navigate(srv.URL()+"/consent?lang="+l), chromedp.WaitVisible(chromedp.ID("kc-disagree")),
						chromedp.Click(chromedp.ID("kc-disagree")))
					decided(t, ctx, "declined")
					got := messages(t, ctx)
					require.Len(t, got, 1)
					at, err := time.Parse(time.RFC3339Nano, got[0].At)
					require.NoError(t, err)
					assert.Equal(t, texts.FormatTime(at, l), eval[string](t, ctx, `document.getElementById("kc-done-at").textContent.trim()`))
				})
			}
			for _, m := range modes {
				t.Run("Settings/"+zone+"/"+l+"/"+m.name, func(t *testing.T) {
					ctx := hostTab(t, "ios")
					setZone(t, ctx, zone)
					agreeTo(t, ctx, srv, "push")
					openSettingsIn(t, ctx, srv, l, m.query, m.wasm)
					assertTimesByTheRule(t, ctx, l)
					// A time the page renders after a change (the wasm, or
					// the server's answer to the form) follows the rule too.
					do(t, ctx, chromedp.Click(chromedp.ID("kc-withdraw-all")), chromedp.WaitVisible(chromedp.CSS(`#kc-saved[data-kind="withdrawn"]`)))
					assertTimesByTheRule(t, ctx, l)
				})
			}
		}
	}
}

// assertTimesByTheRule checks every time the settings page shows
// (<time class="kc-time" datetime>) against texts.FormatTime.
func assertTimesByTheRule(t *testing.T, ctx context.Context, l string) {
	t.Helper()
	type shownTime struct{ At, Text string }
	times := eval[[]shownTime](t, ctx, `Array.from(document.querySelectorAll("time.kc-time[datetime]")).map(e => ({at: e.getAttribute("datetime"), text: e.textContent}))`)
	require.NotEmpty(t, times, "the page shows when the person decided")
	for _, s := range times {
		at, err := time.Parse(time.RFC3339, s.At)
		require.NoError(t, err)
		assert.Equal(t, texts.FormatTime(at, l), s.Text)
	}
}
