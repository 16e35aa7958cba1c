package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

// The website has no account, so its strictly necessary cookies must be
// described by what they are (the choice, kc_consent, and whose it is,
// kc_sub), not by the policy's words on the app's cookies (registration
// information, transactions), which a visitor would take for tracking.
func TestBannerNecessaryTextSaysWhatItsCookiesDo(t *testing.T) {
	for _, tc := range []struct {
		lang     string
		borrowed []string
	}{
		{"zh-Hans", []string{"注册", "交易"}},
		{"en", []string{"registration", "transactions"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			ctx, _, _ := openDemo(t, tc.lang)
			do(t, ctx, chromedp.Evaluate[chromedp.Void](bannerRoot+`.getElementById("kc-customise").click()`))
			waitFor(t, ctx, `!!(`+bannerFrame+` && `+frameDoc+` && `+frameDoc+`.querySelector(".kc-category[data-category=necessary]"))`)
			text := eval[string](t, ctx, frameDoc+`.querySelector(".kc-category[data-category=necessary] .kc-category-desc").textContent`)
			for _, cookie := range []string{"kc_consent", "kc_sub"} {
				assert.Contains(t, text, cookie, "the necessary category names the cookies it sets")
			}
			for _, w := range tc.borrowed {
				assert.NotContains(t, text, w, "no words borrowed from the app's cookies")
			}
		})
	}
}
