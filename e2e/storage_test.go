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

// No storage before consent: ?lang= stores nothing, and neither does the
// language switch until the website decision allows preference cookies
// (kc_lang is one; server TestPrivacy shows it stored then): the language
// stays in the address. Under Global Privacy Control reader.js does not even
// ask (navigator.globalPrivacyControl).
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
			assert.Empty(t, eval[string](t, ctx, `document.cookie`), "no preference cookie before preferences are allowed")
			assert.Contains(t, eval[string](t, ctx, `location.search`), "lang=en", "the language stays in the address")
		})
	}
}
