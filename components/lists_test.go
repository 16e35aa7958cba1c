package components

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/locales/catalogue"
	policydata "github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/policy"
)

func loadLists(t *testing.T, c *Lists) *fakePage {
	t.Helper()
	lib, err := policy.Load(policydata.FS)
	require.NoError(t, err)
	cat, err := consent.LoadCatalogueFor(catalogue.FS, lib.Latest())
	require.NoError(t, err)
	fb := &fakePage{}
	c.Browser = fb
	c.Fetch = func(path string, v any) error {
		fb.fetched = append(fb.fetched, path)
		u, err := url.Parse(path)
		require.NoError(t, err)
		kind := strings.TrimSuffix(strings.TrimPrefix(u.Path, "/privacy/"), ".json")
		doc, err := NewListDoc(lists.Kind(kind), cat, lib.Latest(), lang.DefaultBundle().Localizer(u.Query().Get("lang")))
		if err != nil {
			return err // the server answers 404 for a list it does not have
		}
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		return json.Unmarshal(b, v)
	}
	require.NoError(t, app.NewTestEngine().Load(c))
	return fb
}

func TestListsFilterAsOneTypes(t *testing.T) {
	c := &Lists{Lang: "zh-Hans", Kind: "collected"}
	fb := loadLists(t, c)
	html := app.HTMLString(c)
	assert.Equal(t, 10, strings.Count(html, `kc-card`), "every business function")
	assert.Contains(t, html, `id="kc-root"`, "the root replaces the server's #kc-root")

	c.filter("摄像头")
	assert.Equal(t, "/privacy/collected?lang=zh-Hans&q=%E6%91%84%E5%83%8F%E5%A4%B4", fb.url)
	html = app.HTMLString(c.Render())
	assert.Equal(t, 1, strings.Count(html, `kc-card`))
	assert.Contains(t, html, `fn-crash-reports`)
	assert.Contains(t, html, "显示 1 项，共 10 项")

	c.filter("")
	assert.Equal(t, "/privacy/collected?lang=zh-Hans", fb.url)
	assert.Equal(t, 10, strings.Count(app.HTMLString(c.Render()), `kc-card`))
}

func TestListsUnknownKindLeavesThePageAlone(t *testing.T) {
	c := &Lists{Lang: "en", Kind: "cookies"}
	loadLists(t, c)
	html := app.HTMLString(c)
	assert.Contains(t, html, `id="kc-root"`)
	assert.NotContains(t, html, "kc-card")
	assert.Error(t, c.err)
}
