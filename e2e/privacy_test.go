package e2e

import (
	"context"
	"fmt"
	"net/url"
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
		script              bool
	}{
		{"ZhWithoutScript", "zh-Hans", "北邮科技大厦", false},
		{"EnWithoutScript", "en", "Shenzhen", false},
		{"ZhWithScript", "zh-Hans", "北邮科技大厦", true},
		{"EnWithScript", "en", "Shenzhen", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := newTab(t)
			if !tt.script {
				noScript(t, ctx)
			}
			do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang="+tt.lang))
			if tt.script {
				do(t, ctx, waitReader())
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

// waitReader waits until reader.js has taken the page.
func waitReader() chromedp.Action[chromedp.Void] {
	return chromedp.WaitReady(chromedp.CSS(`html[data-reader="ready"]`))
}

// noScript turns the page's scripts off in the tab, as a browser without
// JavaScript; the test's own Evaluate still runs (it is the debugger).
func noScript(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx)
	_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
	require.NoError(t, err)
}

// The page is whole with JavaScript off: no script, no wasm.
func TestPrivacyWithoutJavaScript(t *testing.T) {
	srv := startServer(t)
	ctx := newTab(t)
	noScript(t, ctx)
	do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang=en&q=Bugly"))
	c := eval[policyCounts](t, ctx, countsJS)
	assert.Equal(t, 10, c.Sections)
	assert.Equal(t, 5, c.SDKs)
	assert.Equal(t, 26, c.Permissions)
	assert.Greater(t, eval[int](t, ctx, `document.querySelectorAll("mark.kc-hit").length`), 0, "server-side search marks hits")
	assert.Empty(t, eval[string](t, ctx, `document.documentElement.dataset.reader || ""`))
}

func TestPrivacyTOCJump(t *testing.T) {
	srv := startServer(t)
	ctx := newTab(t)
	do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang=zh-Hans"), waitReader(),
		chromedp.Click(chromedp.CSS(`.kc-toc a[href="#s5"]`)))
	assert.Equal(t, "#s5", eval[string](t, ctx, `location.hash`))
	top := eval[float64](t, ctx, `document.getElementById("s5").getBoundingClientRect().top`)
	assert.InDelta(t, 72, top, 60, "section 5 is at the top of the viewport, below the sticky bar")
}

// The language and view switches are links the server answers; the script
// makes them carry the search and the section the reader is at, whose id
// is the same in both languages and views.
func TestPrivacyLanguageSwitchKeepsSection(t *testing.T) {
	srv := startServer(t)
	for _, tt := range []struct {
		name, from, link, wantLang, wantView string
	}{
		{"Language", "/privacy?lang=zh-Hans", "lang-switch", "en", ""},
		{"LanguageSideBySide", "/privacy?lang=en&view=bilingual", "lang-switch", "zh-Hans", "bilingual"},
		{"View", "/privacy?lang=zh-Hans", "view-switch", "zh-Hans", "bilingual"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := newTab(t)
			do(t, ctx, chromedp.Navigate(srv.URL()+tt.from+"#s7"), waitReader())
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("s7").scrollIntoView()`))
			before := eval[string](t, ctx, `document.getElementById("s7").querySelector("h2").textContent`)
			do(t, ctx, chromedp.SendKeys(chromedp.CSS("#kc-q"), "SDK"))
			waitFor(t, ctx, `!!document.querySelector("mark.kc-hit")`)
			// Typing scrolls nothing; put the reader back at section 7.
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("s7").scrollIntoView()`))
			// chromedp.Click would first scroll the link into view, moving
			// the reader; a tap does not, and neither does element.click().
			do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="`+tt.link+`"]').click()`))
			do(t, ctx, chromedp.WaitReady(chromedp.CSS(`html[lang="`+tt.wantLang+`"]`)), waitReader())
			if tt.wantView == "bilingual" {
				waitFor(t, ctx, `!!document.querySelector(".kc-bi")`)
			}
			u, err := url.Parse(eval[string](t, ctx, `location.href`))
			require.NoError(t, err)
			assert.Equal(t, tt.wantLang, u.Query().Get("lang"))
			assert.Equal(t, tt.wantView, u.Query().Get("view"))
			assert.Equal(t, "SDK", u.Query().Get("q"), "the search goes along")
			assert.Equal(t, "s7", u.Fragment)
			assert.Positive(t, eval[int](t, ctx, `document.querySelectorAll("mark.kc-hit").length`), "and the server marks it")
			after := eval[string](t, ctx, `document.getElementById("s7").querySelector("h2").textContent`)
			if tt.link == "lang-switch" {
				assert.NotEqual(t, before, after, "the section is now in the other language")
			}
			top := eval[float64](t, ctx, `document.getElementById("s7").getBoundingClientRect().top`)
			assert.InDelta(t, 72, top, 80, "the reader is still at section 7")
		})
	}
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
			do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang="+tt.lang), waitReader(),
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

// searchView is what a reader sees of a search on the policy.
type searchView struct {
	Marks  []string `json:"marks"`  // id and text of every hit, in order
	Status string   `json:"status"` // the count, or that there is none
	Text   string   `json:"text"`   // the policy's text, marks and all
}

const searchViewJS = `(() => {
	const s = document.querySelector("[data-testid=search-results]");
	return {
		marks: [...document.querySelectorAll("mark.kc-hit")].map(m => m.id + " " + m.textContent),
		status: s ? (s.querySelector("a") || s).textContent : "",
		text: document.getElementById("main").textContent,
	};
})()`

// The script marks, as one types, what the server's ?q= marks: the same
// hits, numbered alike, in both languages and views; and it writes into
// the address the very ?q= whose page shows them.
func TestPrivacySearchIsTheServers(t *testing.T) {
	srv := startServer(t)
	for _, tt := range []struct {
		page    string
		queries []string
	}{
		{"/privacy?lang=en", []string{"Bugly", "personal information", "ID NUMBER", "birth, ID", "e", "(", "1.1.", "zz-none", " SDK "}},
		{"/privacy?lang=zh-Hans", []string{"友盟", "个人信息", "sdk", "，", ",", "（IMEI", "的", "身份证件号码", "没有这个词"}},
		{"/privacy?lang=en&view=bilingual", []string{"Bugly", "个人信息", "Policy"}},
		{"/privacy?lang=zh-Hans&view=bilingual", []string{"友盟", "information", "only"}},
	} {
		t.Run(tt.page, func(t *testing.T) {
			ctx := newTab(t)
			plain := newTab(t)
			noScript(t, plain)
			do(t, ctx, chromedp.Navigate(srv.URL()+tt.page), waitReader())
			unmarked := eval[searchView](t, ctx, searchViewJS)
			for _, q := range append(tt.queries, "") {
				t.Run(q, func(t *testing.T) {
					typeSearch(t, ctx, q)
					got := eval[searchView](t, ctx, searchViewJS)
					address := eval[string](t, ctx, `location.pathname + location.search`)
					do(t, plain, chromedp.Navigate(srv.URL()+address))
					want := eval[searchView](t, plain, searchViewJS)
					assert.Equal(t, want.Marks, got.Marks)
					assert.Equal(t, want.Status, got.Status)
					assert.Equal(t, want.Text, got.Text, "marking changes no text")
					if q == "" {
						assert.Equal(t, unmarked, got, "an empty search leaves the page as it came")
					}
				})
			}
		})
	}
}

// typeSearch puts q in the page's search box (#kc-q) and fires the input
// event that a person typing fires, for reader.js.
func typeSearch(t *testing.T, ctx context.Context, q string) {
	t.Helper()
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const i = document.getElementById("kc-q");
		i.value = `+jsString(q)+`;
		i.dispatchEvent(new Event("input", {bubbles: true}));
	})()`))
}
