package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

func openList(t *testing.T, srv *server.Server, path, query string, wasm bool) context.Context {
	t.Helper()
	ctx := newTab(t)
	do(t, ctx, chromedp.Navigate(srv.URL()+path+query), chromedp.WaitVisible(chromedp.ID("main")))
	if wasm {
		do(t, ctx, waitWasm())
	}
	return ctx
}

// The two lists show every SDK and every permission of the policy, in both
// languages, before and with the wasm.
func TestListsShowEverySDKAndPermission(t *testing.T) {
	srv := startServer(t)
	v := latestPolicy(t)
	for _, m := range modes {
		for _, l := range []string{"zh-Hans", "en"} {
			doc, _ := v.Doc(l)
			t.Run(m.name+"/"+l, func(t *testing.T) {
				ctx := openList(t, srv, "/privacy/shared", "?lang="+l+m.query, m.wasm)
				assert.Equal(t, l, eval[string](t, ctx, `document.documentElement.lang`))
				var want []string
				for _, row := range doc.SDKs() {
					want = append(want, "sdk-"+row.ID)
					href := eval[string](t, ctx, `(function () {
						var a = document.querySelector("#sdk-`+row.ID+` a[href^='http']");
						return a ? a.getAttribute("href") : "";
					})()`)
					assert.Equal(t, row.PolicyURL, href, "a plain link to %s's own policy", row.ID)
					assert.Contains(t, eval[string](t, ctx, `document.getElementById("sdk-`+row.ID+`").textContent`), row.Name)
				}
				assert.Equal(t, want, eval[[]string](t, ctx, `Array.from(document.querySelectorAll("article.kc-card")).map(function (a) { return a.id; })`))

				ctx = openList(t, srv, "/privacy/collected", "?lang="+l+m.query, m.wasm)
				var perms, names []string
				for _, b := range doc.Permissions() {
					perms = append(perms, "perm-"+b.ID)
					_, name, _ := doc.Permission(b.ID)
					names = append(names, name)
				}
				got := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("li[id^='perm-']")).map(function (li) { return li.id; })`)
				assert.ElementsMatch(t, perms, got, "every permission, once")
				gotNames := eval[[]string](t, ctx, `Array.from(document.querySelectorAll("li[id^='perm-']")).map(function (li) { return li.textContent; })`)
				assert.ElementsMatch(t, names, gotNames)
				assert.Equal(t, 10, eval[int](t, ctx, `document.querySelectorAll("article.kc-card").length`), "every business function")
				assert.Regexp(t, `^[0-9a-f]{64}$`, eval[string](t, ctx, `document.querySelector("[data-testid=list-sha]").textContent`))
			})
		}
	}
}

// The filter works without script (a GET form the server answers) and, with
// the wasm, as one types, writing the filter into the address.
func TestListsFilter(t *testing.T) {
	srv := startServer(t)
	cards := `Array.from(document.querySelectorAll("article.kc-card")).map(function (a) { return a.id; })`

	t.Run("BeforeWasm", func(t *testing.T) {
		ctx := openList(t, srv, "/privacy/collected", "?lang=en&wasm=false", false)
		do(t, ctx,
			chromedp.SendKeys(chromedp.ID("kc-q"), "camera"),
			chromedp.Submit(chromedp.ID("kc-q")),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid=filter-clear]`)),
		)
		assert.Equal(t, []string{"fn-crash-reports"}, eval[[]string](t, ctx, cards))
		u, err := url.Parse(eval[string](t, ctx, `location.href`))
		require.NoError(t, err)
		assert.Equal(t, "camera", u.Query().Get("q"))
	})

	t.Run("Wasm", func(t *testing.T) {
		ctx := openList(t, srv, "/privacy/shared", "?lang=zh-Hans", true)
		do(t, ctx, chromedp.SendKeys(chromedp.ID("kc-q"), "音视频"))
		waitFor(t, ctx, `document.querySelectorAll("article.kc-card").length === 1`)
		assert.Equal(t, []string{"sdk-bugly"}, eval[[]string](t, ctx, cards))
		assert.Contains(t, eval[string](t, ctx, `document.querySelector("[data-testid=filter-results]").textContent`), "显示 1 项，共 5 项")
		assert.True(t, strings.HasSuffix(eval[string](t, ctx, `location.search`), "q=%E9%9F%B3%E8%A7%86%E9%A2%91"))
		assert.Equal(t, "ready", eval[string](t, ctx, `document.documentElement.getAttribute("data-wasm")`), "filtered in place, no navigation")
	})
}

// The policy links both lists from its toolbar.
func TestListsLinkedFromThePolicy(t *testing.T) {
	srv := startServer(t)
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) {
			ctx := newTab(t)
			do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang=zh-Hans"+m.query), chromedp.WaitVisible(chromedp.ID("main")))
			if m.wasm {
				do(t, ctx, waitWasm())
			}
			do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid=list-shared]`)), chromedp.WaitVisible(chromedp.ID("sdk-getui")))
			assert.Equal(t, "/privacy/shared", eval[string](t, ctx, `location.pathname`))
			assert.Equal(t, "zh-Hans", eval[string](t, ctx, `document.documentElement.lang`))
		})
	}
}
