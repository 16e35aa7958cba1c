package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// policyCounts reads from the rendered page what the policy must show in
// every language.
type policyCounts struct {
	Sections    int    `json:"sections"`
	SDKs        int    `json:"sdks"`
	Permissions int    `json:"permissions"`
	Contact     string `json:"contact"`
	Lang        string `json:"lang"`
	Bold        int    `json:"bold"`
}

const countsJS = `({
	sections: document.querySelectorAll("article.kc-doc > section.kc-l2").length,
	sdks: document.querySelectorAll(".kc-sdks > .kc-sdk").length,
	permissions: document.querySelectorAll("ol.kc-perms > li").length,
	contact: (document.querySelector("address.kc-contact") || {}).textContent || "",
	lang: document.documentElement.lang,
	bold: document.querySelectorAll(".kc-doc strong").length,
})`

func TestPrivacyWholePolicy(t *testing.T) {
	srv := startServer(t)
	for _, tt := range []struct {
		name, lang, address string
		wasm                bool
	}{
		{"ZhBeforeWasm", "zh-Hans", "北邮科技大厦", false},
		{"EnBeforeWasm", "en", "Shenzhen", false},
		{"ZhWithWasm", "zh-Hans", "北邮科技大厦", true},
		{"EnWithWasm", "en", "Shenzhen", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := newTab(t)
			url := srv.URL() + "/privacy?lang=" + tt.lang
			if !tt.wasm {
				url += "&wasm=false"
			}
			do(t, ctx, chromedp.Navigate(url))
			if tt.wasm {
				do(t, ctx, waitWasm())
			}
			c := eval[policyCounts](t, ctx, countsJS)
			assert.Equal(t, tt.lang, c.Lang)
			assert.Equal(t, 10, c.Sections, "top-level sections")
			assert.Equal(t, 5, c.SDKs, "SDK rows")
			assert.Equal(t, 26, c.Permissions, "permissions")
			for _, want := range []string{"kaiconn.com", "0755", "privacy@kaiconn.com", tt.address} {
				assert.Contains(t, c.Contact, want)
			}
			assert.Greater(t, c.Bold, 10, "sensitive information in bold")
		})
	}
}

// The page is whole with JavaScript off: no wasm, no boot script.
func TestPrivacyWithoutJavaScript(t *testing.T) {
	srv := startServer(t)
	ctx := newTab(t)
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	require.NoError(t, err)
	do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang=en&q=Bugly"))
	// Evaluate runs even with page scripts disabled (it is the debugger).
	c := eval[policyCounts](t, ctx, countsJS)
	assert.Equal(t, 10, c.Sections)
	assert.Equal(t, 5, c.SDKs)
	assert.Equal(t, 26, c.Permissions)
	assert.Greater(t, eval[int](t, ctx, `document.querySelectorAll("mark.kc-hit").length`), 0, "server-side search marks hits")
	assert.NotEqual(t, "ready", eval[string](t, ctx, `document.documentElement.dataset.wasm || ""`))
}

func TestPrivacyTOCJump(t *testing.T) {
	srv := startServer(t)
	ctx := newTab(t)
	do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang=zh-Hans"), waitWasm(),
		chromedp.Click(chromedp.CSS(`.kc-toc a[href="#s5"]`)))
	assert.Equal(t, "#s5", eval[string](t, ctx, `location.hash`))
	top := eval[float64](t, ctx, `document.getElementById("s5").getBoundingClientRect().top`)
	assert.InDelta(t, 72, top, 60, "section 5 is at the top of the viewport, below the sticky bar")
}

func TestPrivacyLanguageSwitchKeepsSection(t *testing.T) {
	srv := startServer(t)
	ctx := newTab(t)
	do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang=zh-Hans#s7"), waitWasm())
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("s7").scrollIntoView()`))
	before := eval[string](t, ctx, `document.getElementById("s7").querySelector("h2").textContent`)
	// chromedp.Click would first scroll the link into view, moving the
	// reader; a tap does not, and neither does element.click().
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="lang-switch"]').click()`))
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`html[lang="en"]`)))
	after := eval[string](t, ctx, `document.getElementById("s7").querySelector("h2").textContent`)
	assert.NotEqual(t, before, after, "the section is now in English")
	assert.Contains(t, after, "store")
	top := eval[float64](t, ctx, `document.getElementById("s7").getBoundingClientRect().top`)
	assert.InDelta(t, 72, top, 80, "the reader is still at section 7")
	assert.Contains(t, eval[string](t, ctx, `location.href`), "lang=en")
	assert.Contains(t, eval[string](t, ctx, `location.hash`), "s7")
	assert.Equal(t, 0, eval[int](t, ctx, `performance.getEntriesByType("navigation").length - 1`), "no reload")
}

func TestPrivacySearch(t *testing.T) {
	srv := startServer(t)
	for _, tt := range []struct{ lang, query string }{
		{"en", "Bugly"},
		{"zh-Hans", "友盟"},
		{"en", "bugly"}, // case does not matter
	} {
		t.Run(tt.lang+"/"+tt.query, func(t *testing.T) {
			ctx := newTab(t)
			do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang="+tt.lang), waitWasm(),
				chromedp.SendKeys(chromedp.CSS("#kc-q"), tt.query))
			do(t, ctx, chromedp.WaitReady(chromedp.CSS("mark.kc-hit")))
			marks := eval[[]string](t, ctx, `[...document.querySelectorAll("mark.kc-hit")].map(m => m.textContent)`)
			require.NotEmpty(t, marks)
			for _, m := range marks {
				assert.Equal(t, fold(tt.query), fold(m))
			}
			status := eval[string](t, ctx, `document.querySelector('[data-testid="search-results"]').textContent`)
			assert.Contains(t, status, fmt.Sprint(len(marks)))
			// Enter steps to the first hit.
			do(t, ctx, chromedp.SendKeys(chromedp.CSS("#kc-q"), "\r"))
			do(t, ctx, chromedp.WaitReady(chromedp.CSS("mark.kc-current")))
			assert.Equal(t, "kc-hit-1", eval[string](t, ctx, `document.querySelector("mark.kc-current").id`))
			// The address bar holds the search, so a reload shows the same.
			assert.Contains(t, eval[string](t, ctx, `decodeURIComponent(location.search)`), "q="+tt.query)
		})
	}
}

func fold(s string) string {
	b := []rune(s)
	for i, r := range b {
		if r >= 'A' && r <= 'Z' {
			b[i] = r + 32
		}
	}
	return string(b)
}
