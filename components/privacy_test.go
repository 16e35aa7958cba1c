package components

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/policy"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakePage records what a component asked of the page.
type fakePage struct {
	url, cookie, pageLang, scrolled string
	topmost, navigated              string
	fetched                         []string
}

func (f *fakePage) ReplaceURL(u string)                 { f.url = u }
func (f *fakePage) SetCookie(name, value string, _ int) { f.cookie = name + "=" + value }
func (f *fakePage) TopmostID(string) string             { return f.topmost }
func (f *fakePage) ScrollTo(id string)                  { f.scrolled = id }
func (f *fakePage) SetPage(l, _ string)                 { f.pageLang = l }
func (f *fakePage) Print()                              {}

func (f *fakePage) Navigate(u string) { f.navigated = u }

// serveDocs answers the component's fetches as the server does, from the
// embedded policy and message files, and counts them.
func serveDocs(t *testing.T, fetched *[]string) func(string, any) error {
	t.Helper()
	lib, err := policy.Load(policydata.FS)
	require.NoError(t, err)
	return func(path string, v any) error {
		*fetched = append(*fetched, path)
		u, err := url.Parse(path)
		require.NoError(t, err)
		require.Equal(t, "/privacy/doc.json", u.Path)
		q := u.Query()
		ver := lib.Latest()
		if id := q.Get("version"); id != "" {
			var ok bool
			ver, ok = lib.Version(id)
			if !ok {
				return errors.New("404")
			}
		}
		// Through JSON, as the browser receives it.
		b, err := json.Marshal(NewPrivacyDoc(ver, lang.DefaultBundle().Localizer(q.Get("lang")), q.Get("view")))
		require.NoError(t, err)
		return json.Unmarshal(b, v)
	}
}

func loadPrivacy(t *testing.T, p *Privacy) *fakePage {
	t.Helper()
	fb := &fakePage{}
	p.Fetch, p.Browser = serveDocs(t, &fb.fetched), fb
	require.NoError(t, app.NewTestEngine().Load(p))
	return fb
}

func TestPrivacyRendersWholePolicy(t *testing.T) {
	p := &Privacy{Lang: "zh-Hans"}
	loadPrivacy(t, p)
	html := app.HTMLString(p)
	assert.Equal(t, 10, strings.Count(html, `class="kc-sec kc-l2"`))
	assert.Equal(t, 5, strings.Count(html, `class="kc-sdk"`))
	assert.Contains(t, html, `id="kc-root"`, "the root replaces the server's #kc-root")
	assert.Contains(t, html, "隐私保护政策")
}

func TestPrivacyLanguageSwitchKeepsPlace(t *testing.T) {
	p := &Privacy{Lang: "zh-Hans", View: "bilingual"}
	fb := loadPrivacy(t, p)
	fb.topmost = "en-s7" // the reader is at section 7, in the English column

	_, err := p.doc("en", "bilingual") // as the switch's handler does first
	require.NoError(t, err)
	assert.Equal(t, []string{"/privacy/doc.json?lang=zh-Hans&view=bilingual", "/privacy/doc.json?lang=en&version=2022-10&view=bilingual"}, fb.fetched)
	place := p.toggleLang()

	assert.Equal(t, "s7", place)
	assert.Equal(t, "en", p.Lang)
	assert.Equal(t, "/privacy?lang=en&view=bilingual#s7", fb.url)
	assert.Equal(t, "kc_lang=en", fb.cookie)
	assert.Equal(t, "en", fb.pageLang)
	html := app.HTMLString(p.Render())
	assert.Contains(t, html, `id="s7"`, "the reader's column keeps the bare ids")
	assert.Contains(t, html, `id="zh-s7"`)
}

func TestPrivacySearchAndStep(t *testing.T) {
	p := &Privacy{Lang: "en"}
	fb := loadPrivacy(t, p)

	p.search("Bugly")
	require.Greater(t, p.marked.Hits, 1)
	assert.Equal(t, "/privacy?lang=en&q=Bugly", fb.url)
	html := app.HTMLString(p.Render())
	assert.Equal(t, p.marked.Hits, strings.Count(html, `id="kc-hit-`), "every hit is marked (attribute order varies)")

	assert.Equal(t, "kc-hit-1", p.step(1))
	assert.Equal(t, "kc-hit-2", p.step(1))
	assert.Equal(t, "kc-hit-1", p.step(-1))
	assert.Equal(t, "kc-hit-"+strconv.Itoa(p.marked.Hits), p.step(-1), "wraps around")
	assert.Contains(t, app.HTMLString(p.Render()), "kc-current")

	p.search("no such words in the policy")
	assert.Zero(t, p.marked.Hits)
	assert.Equal(t, "", p.step(1))
}

func TestPrivacyViewSwitch(t *testing.T) {
	p := &Privacy{Lang: "en"}
	fb := loadPrivacy(t, p)
	fb.topmost = "s3"
	_, err := p.doc("en", "bilingual")
	require.NoError(t, err)
	assert.Equal(t, "s3", p.toggleView())
	assert.Equal(t, "bilingual", p.View)
	assert.Equal(t, "/privacy?lang=en&view=bilingual#s3", fb.url)
	assert.Len(t, p.marked.Rows, 11, "preamble and ten sections side by side")
}
