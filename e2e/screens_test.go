package e2e

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Screens that show what is stored (issue 21): the review link, the
// gate's sticky bar, the settings page and the banner, measured at
// 360×740 in both languages.

// hostState is the ?state= a host app hands the gate after a decision under
// 2022-10 that allowed exactly the purposes on.
func hostState(t *testing.T, on ...string) string {
	t.Helper()
	purposes := map[string]bool{"basic": true}
	for _, p := range optional {
		purposes[p] = false
	}
	for _, p := range on {
		purposes[p] = true
	}
	b, err := json.Marshal(map[string]any{
		"v": 2, "type": "consent", "decision": "agreed", "policyVersion": "2022-10", "receiptId": uuid.NewString(),
		"purposes": purposes, "at": time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.000Z07:00"),
	})
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// The review link (?open=1&state=…) shows the host's stored switches, not
// blank ones; Agree as shown keeps them, and the hint beside the buttons
// names what Disagree would turn off before it is pressed.
func TestGateReviewLinkShowsStoredChoices(t *testing.T) {
	srv := startServer(t)
	for _, gm := range gateModes {
		t.Run(gm.name, func(t *testing.T) {
			ctx := gateTab(t, "android", gm.script)
			do(t, ctx,
				chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
				chromedp.Navigate(srv.URL()+"/consent?lang=en&open=1&state="+hostState(t, "location")),
				chromedp.WaitVisible(chromedp.ID("kc-agree")),
			)
			checked := eval[[]string](t, ctx, `[...document.querySelectorAll('input[name=purpose]:checked')].map(e => e.value)`)
			assert.Equal(t, []string{"location"}, checked, "the stored switches")
			hint := eval[string](t, ctx, `document.getElementById('kc-gate-buttons-hint').textContent`)
			assert.Contains(t, hint, "Location services", "Disagree says what it turns off")
			assert.Contains(t, eval[string](t, ctx, `document.getElementById('kc-disagree').getAttribute('aria-describedby')`), "kc-gate-buttons-hint")
			do(t, ctx, chromedp.Click(chromedp.ID("kc-adult")), chromedp.Click(chromedp.ID("kc-agree")))
			decided(t, ctx, "agreed")
			got := messages(t, ctx)
			require.Len(t, got, 1)
			assert.True(t, got[0].Purposes["location"], "Agree as shown keeps what was on")
			assert.False(t, got[0].Purposes["push"])
		})
	}
}

// The gate's sticky bar holds only the 18+ box and the two buttons: the
// policy's sentence on minors is read above it, and the bar leaves at
// least 83% of a 360×740 screen to the text.
func TestGateStickyBarIsSmall(t *testing.T) {
	srv := startServer(t)
	for _, l := range []string{"en", "zh-Hans"} {
		t.Run(l, func(t *testing.T) {
			ctx := hostTab(t, "android")
			do(t, ctx,
				chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
				chromedp.Navigate(srv.URL()+"/consent?lang="+l),
				chromedp.WaitVisible(chromedp.ID("kc-agree")),
			)
			height := eval[float64](t, ctx, `document.querySelector('.kc-gate__bar').getBoundingClientRect().height`)
			assert.LessOrEqual(t, height, 0.17*740, "the bar's height")
			assert.False(t, eval[bool](t, ctx, `!!document.querySelector('.kc-gate__bar #kc-minors')`), "the minors sentence scrolls with the text")
			assert.True(t, eval[bool](t, ctx, `!!document.querySelector('.kc-gate__bar #kc-adult') && !!document.querySelector('.kc-gate__bar #kc-agree')`))
			// An opened SDK's details scroll clear of the bar.
			do(t, ctx, chromedp.Click(chromedp.ID("kc-gate-choices-summary")),
				chromedp.Evaluate[chromedp.Void](`document.getElementById('kc-p-location-facts').open = true; document.querySelector('#kc-p-location-facts .kc-gate__ext').focus()`))
			assert.True(t, eval[bool](t, ctx, `document.activeElement.getBoundingClientRect().bottom <= document.querySelector('.kc-gate__bar').getBoundingClientRect().top`), "the focused link is not under the bar")
		})
	}
}
