package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/cjk"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/locales/catalogue"
	policydata "github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/server"
)

// latestPolicy is the policy in force, which the lists must cover whole.
func latestPolicy(t *testing.T) *policy.Version {
	t.Helper()
	lib, err := policy.Load(policydata.FS)
	require.NoError(t, err)
	return lib.Latest()
}

func openList(t *testing.T, srv *server.Server, path, query string, script bool) context.Context {
	t.Helper()
	ctx := newTab(t)
	if !script {
		noScript(t, ctx)
	}
	do(t, ctx, chromedp.Navigate(srv.URL()+path+query), chromedp.WaitVisible(chromedp.ID("main")))
	if script {
		do(t, ctx, waitReader())
	}
	return ctx
}

// scriptModes are a browser without JavaScript and one with it.
var scriptModes = []struct {
	name   string
	script bool
}{
	{"WithoutScript", false},
	{"WithScript", true},
}

// The two lists show every SDK and every permission of the policy, in both
// languages, with and without script.
func TestListsShowEverySDKAndPermission(t *testing.T) {
	srv := startServer(t)
	v := latestPolicy(t)
	cat, err := consent.LoadCatalogueFor(catalogue.FS, v)
	require.NoError(t, err)
	for _, m := range scriptModes {
		for _, l := range []string{"zh-Hans", "en"} {
			doc, _ := v.Doc(l)
			t.Run(m.name+"/"+l, func(t *testing.T) {
				ctx := openList(t, srv, "/privacy/shared", "?lang="+l, m.script)
				assert.Equal(t, l, eval[string](t, ctx, `document.documentElement.lang`))
				var want []string
				for _, row := range doc.SDKs() {
					want = append(want, "sdk-"+row.ID)
					href := eval[string](t, ctx, `(function () {
						var a = document.querySelector("#sdk-`+row.ID+` a[href^='http']");
						return a ? a.getAttribute("href") : "";
					})()`)
					assert.Equal(t, row.PolicyURL, href, "a plain link to %s's own policy", row.ID)
					name := row.Name
					if l == "zh-Hans" {
						name = cjk.Punctuate(name) // 友盟统计SDK（com.umeng）
					}
					assert.Contains(t, eval[string](t, ctx, `document.getElementById("sdk-`+row.ID+`").textContent`), name)
				}
				// The affiliates, service providers and other recipients of
				// 三、(一)3–4 follow the SDKs.
				for _, r := range cat.Recipients(l) {
					want = append(want, "share-"+r.Clause)
				}
				assert.Equal(t, want, eval[[]string](t, ctx, `Array.from(document.querySelectorAll("article.kc-card")).map(function (a) { return a.id; })`))

				ctx = openList(t, srv, "/privacy/collected", "?lang="+l, m.script)
				var perms, names []string
				for _, b := range doc.Permissions() {
					if perm, _, _, _ := cat.Permission(b.ID); perm.DataItem {
						continue // IMSI, IMEI, MAC: data, listed with the data
					}
					perms = append(perms, "perm-"+b.ID)
					_, name, _ := doc.Permission(b.ID)
					names = append(names, name)
				}
				got := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("li[id^='perm-']")).map(function (li) { return li.id; })`)
				assert.ElementsMatch(t, perms, got, "every permission, once")
				gotNames := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("li[id^='perm-']")).map(function (li) { return li.textContent; })`)
				assert.ElementsMatch(t, names, gotNames)
				assert.Equal(t, 11, eval[int](t, ctx, `document.querySelectorAll("article.kc-card").length`), "every business function, the optional profile too")
				// Sensitive items are bold alike in every card: the
				// password of registration and the audio and video of
				// Bugly as much as the phone number.
				if l == "zh-Hans" {
					bold := eval[[]string](t, ctx, `Array.from(document.querySelectorAll(".kc-items strong")).map(function (b) { return b.textContent; })`)
					for _, term := range []string{"手机号码", "密码", "音视频信息", "地理位置", "位置信息"} {
						assert.Contains(t, bold, term)
					}
				}
				assert.Regexp(t, `^[0-9a-f]{64}$`, eval[string](t, ctx, `document.querySelector("[data-testid=list-sha]").textContent`))
			})
		}
	}
}

// The filter works without script (a GET form the server answers) and,
// with it, as one types, writing the filter into the address.
func TestListsFilter(t *testing.T) {
	srv := startServer(t)
	cards := `Array.from(document.querySelectorAll("article.kc-card")).filter(function (a) { return a.getClientRects().length; }).map(function (a) { return a.id; })`

	t.Run("WithoutScript", func(t *testing.T) {
		ctx := openList(t, srv, "/privacy/collected", "?lang=en", false)
		do(t, ctx,
			chromedp.SendKeys(chromedp.ID("kc-q"), "camera"),
			chromedp.Submit(chromedp.ID("kc-q")),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=filter-clear]`)),
		)
		assert.Equal(t, []string{"fn-crash-reports"}, eval[[]string](t, ctx, cards))
		assert.Equal(t, 1, eval[int](t, ctx, `document.querySelectorAll("article.kc-card").length`), "the server sends the entries shown")
		u, err := url.Parse(eval[string](t, ctx, `location.href`))
		require.NoError(t, err)
		assert.Equal(t, "camera", u.Query().Get("q"))
	})

	t.Run("WithScript", func(t *testing.T) {
		ctx := openList(t, srv, "/privacy/shared", "?lang=zh-Hans", true)
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__kcSamePage = true`))
		// Every card of the list, as the server sent it: the SDKs and the
		// other recipients the catalogue names.
		all := len(eval[[]string](t, ctx, cards))
		require.Greater(t, all, 1)
		do(t, ctx, chromedp.SendKeys(chromedp.ID("kc-q"), "音视频"))
		waitFor(t, ctx, cards+`.length === 1`)
		assert.Equal(t, []string{"sdk-bugly"}, eval[[]string](t, ctx, cards))
		assert.Contains(t, eval[string](t, ctx, `document.querySelector("[data-testid=filter-results]").textContent`), fmt.Sprintf("显示 1 项，共 %d 项", all))
		assert.True(t, strings.HasSuffix(eval[string](t, ctx, `location.search`), "q=%E9%9F%B3%E8%A7%86%E9%A2%91"))
		// Enter keeps the reader on the page: the list is filtered.
		do(t, ctx, chromedp.SendKeys(chromedp.ID("kc-q"), "\r"))
		assert.True(t, eval[bool](t, ctx, `window.__kcSamePage === true`), "filtered in place, no navigation")
		// "Show all" clears the filter in place too.
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=filter-clear]`)))
		waitFor(t, ctx, fmt.Sprintf(cards+`.length === %d`, all))
		assert.Equal(t, "?lang=zh-Hans", eval[string](t, ctx, `location.search`))
		assert.True(t, eval[bool](t, ctx, `window.__kcSamePage === true`))
	})
}

// listView is what a reader sees of a filtered list.
type listView struct {
	Shown  []string `json:"shown"` // the ids of the groups and entries shown
	Status string   `json:"status"`
}

const listViewJS = `({
	shown: Array.from(document.querySelectorAll("#kc-list [id]")).filter(function (e) { return e.getClientRects().length; }).map(function (e) { return e.id; }),
	status: document.querySelector("[data-testid=filter-results] span").textContent,
})`

// The script shows, as one types, the entries the server's ?q= shows, in
// both languages, and writes into the address the very ?q= whose page
// shows them; a page the server filtered is filtered again as one types.
func TestListsFilterIsTheServers(t *testing.T) {
	srv := startServer(t)
	for _, tt := range []struct {
		page    string
		queries []string
	}{
		{"/privacy/collected?lang=en", []string{"camera", "CAMERA", "location", "mobile phone number in Chinese", "Required; cannot", "PurposeRequired", "Bugly", "p", "zz-none", " IP address "}},
		{"/privacy/collected?lang=zh-Hans&q=相机", []string{"位置", "手机号码", "必要", "（", "(", "，", "没有这个词", ""}},
		{"/privacy/shared?lang=en", []string{"Bugly", "crash", "https://", "Tencent"}},
		{"/privacy/shared?lang=zh-Hans", []string{"音视频", "个推", "SDK"}},
	} {
		t.Run(tt.page, func(t *testing.T) {
			ctx := openList(t, srv, "", tt.page, true)
			plain := newTab(t)
			noScript(t, plain)
			for _, q := range tt.queries {
				t.Run(q, func(t *testing.T) {
					typeSearch(t, ctx, q)
					// The first change on a filtered page waits for the whole list.
					waitFor(t, ctx, `new URLSearchParams(location.search).get("q") === `+jsString(strings.TrimSpace(q))+
						` || (`+jsString(strings.TrimSpace(q))+` === "" && !new URLSearchParams(location.search).has("q"))`)
					got := eval[listView](t, ctx, listViewJS)
					address := eval[string](t, ctx, `location.pathname + location.search`)
					do(t, plain, chromedp.Navigate(srv.URL()+address), chromedp.WaitVisible(chromedp.ID("main")))
					want := eval[listView](t, plain, listViewJS)
					assert.Equal(t, want, got)
					assert.NotEmpty(t, got.Status)
				})
			}
		})
	}
}

// The language switch carries the filter and the entry the reader is at.
func TestListsLanguageSwitchKeepsPlace(t *testing.T) {
	srv := startServer(t)
	ctx := openList(t, srv, "/privacy/collected", "?lang=en", true)
	do(t, ctx, chromedp.SendKeys(chromedp.ID("kc-q"), "location"))
	waitFor(t, ctx, `new URLSearchParams(location.search).get("q") === "location"`)
	switchURL := func() *url.URL {
		u, err := url.Parse(eval[string](t, ctx, `document.querySelector('[data-testid="lang-switch"]').href`))
		require.NoError(t, err)
		return u
	}
	assert.Equal(t, "location", switchURL().Query().Get("q"), "the switch carries the filter")
	do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=filter-clear]`)))
	waitFor(t, ctx, `!new URLSearchParams(location.search).has("q")`)
	assert.False(t, switchURL().Query().Has("q"))

	id := eval[string](t, ctx, `(() => {
		const card = document.querySelectorAll("#kc-list article[id]")[4];
		card.scrollIntoView();
		return card.id;
	})()`)
	require.NotEmpty(t, id)
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="lang-switch"]').click()`))
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`html[lang="zh-Hans"]`)), waitReader())
	u, err := url.Parse(eval[string](t, ctx, `location.href`))
	require.NoError(t, err)
	assert.Equal(t, "zh-Hans", u.Query().Get("lang"))
	assert.Equal(t, id, u.Fragment)
	assert.InDelta(t, 40, eval[float64](t, ctx, `document.getElementById(`+jsString(id)+`).getBoundingClientRect().top`), 80, "the reader is at the same entry")
}

func TestListsLinkedFromThePolicy(t *testing.T) {
	srv := startServer(t)
	for _, m := range scriptModes {
		t.Run(m.name, func(t *testing.T) {
			ctx := newTab(t)
			if !m.script {
				noScript(t, ctx)
			}
			do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang=zh-Hans"), chromedp.WaitVisible(chromedp.ID("main")))
			if m.script {
				do(t, ctx, waitReader())
			}
			do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=list-shared]`)), chromedp.WaitVisible(chromedp.ID("sdk-getui")))
			assert.Equal(t, "/privacy/shared", eval[string](t, ctx, `location.pathname`))
			assert.Equal(t, "zh-Hans", eval[string](t, ctx, `document.documentElement.lang`))
		})
	}
}
