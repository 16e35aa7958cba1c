package e2e

import (
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// No storage before consent: ?lang= stores nothing; the language switch
// remembers the choice (kc_lang, strictly necessary), except under Global
// Privacy Control, which reader.js reads from navigator.globalPrivacyControl.
func TestLanguageCookieOnlyByChoice(t *testing.T) {
	srv := startServer(t)
	for _, tt := range []struct {
		name string
		gpc  bool
	}{
		{"Switch", false},
		{"SwitchUnderGPC", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := newTab(t)
			do(t, ctx)
			_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
			require.NoError(t, err)
			if tt.gpc {
				_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
					Source: `Object.defineProperty(Navigator.prototype, "globalPrivacyControl", {get: () => true})`})
				require.NoError(t, err)
			}
			do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang=zh-Hans"), waitReader())
			assert.Empty(t, eval[string](t, ctx, `document.cookie`), "?lang= is no choice: nothing stored")
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="lang-switch"]').click()`))
			do(t, ctx, chromedp.WaitReady(chromedp.CSS(`html[lang="en"]`)))
			if tt.gpc {
				assert.Empty(t, eval[string](t, ctx, `document.cookie`), "under GPC the language is not remembered")
			} else {
				assert.Equal(t, "kc_lang=en", eval[string](t, ctx, `document.cookie`))
			}
		})
	}
}
