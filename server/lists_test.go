package server

import (
	"html"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/locales/localestest"
)

func TestLists(t *testing.T) {
	s := newTestServer(t)
	h := s.Handler()

	t.Run("Golden", func(t *testing.T) {
		for _, tt := range []struct{ name, target string }{
			{"lists.collected.zh-Hans.html", "/privacy/collected?lang=zh-Hans"},
			{"lists.collected.en.html", "/privacy/collected?lang=en"},
			{"lists.shared.zh-Hans.html", "/privacy/shared?lang=zh-Hans"},
			{"lists.shared.en.location.html", "/privacy/shared?lang=en&q=location"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				w := getPage(t, h, tt.target)
				assert.Equal(t, http.StatusOK, w.Code)
				golden(t, tt.name, w.Body.Bytes())
			})
		}
	})

	t.Run("EverySDKAndPermission", func(t *testing.T) {
		v := s.policies.Latest()
		for _, l := range []string{"zh-Hans", "en"} {
			doc, _ := v.Doc(l)
			shared := getPage(t, h, "/privacy/shared?lang="+l).Body.String()
			for _, row := range doc.SDKs() {
				assert.Contains(t, shared, `id="sdk-`+row.ID+`"`)
				assert.Contains(t, shared, `<a href="`+html.EscapeString(row.PolicyURL)+`" rel="noopener noreferrer external">`, "a plain link to %s's policy", row.ID)
			}
			collected := getPage(t, h, "/privacy/collected?lang="+l).Body.String()
			for _, b := range doc.Permissions() {
				_, name, _ := doc.Permission(b.ID)
				if perm, _, _, _ := s.catalogues[v.ID].Permission(b.ID); perm.DataItem {
					// IMSI, IMEI, MAC: listed with the data, not as
					// permissions.
					assert.NotContains(t, collected, `id="perm-`+b.ID+`"`)
					continue
				}
				assert.Contains(t, collected, `id="perm-`+b.ID+`"`)
				assert.Contains(t, collected, html.EscapeString(name))
			}
			assert.NotContains(t, shared+collected, "{{", "every placeholder filled")
		}
	})

	t.Run("LanguageLikePrivacyButNoCookie", func(t *testing.T) {
		for _, tt := range []struct {
			name, target string
			header       []string
			want         string
		}{
			{"Query", "/privacy/collected?lang=en", []string{"Accept-Language", "zh-CN"}, "en"},
			{"QueryVariant", "/privacy/shared?lang=zh-TW", nil, "zh-Hans"},
			{"Cookie", "/privacy/shared", []string{"Cookie", "kc_lang=zh-Hans", "Accept-Language", "en"}, "zh-Hans"},
			{"AcceptLanguage", "/privacy/collected", []string{"Accept-Language", "zh-SG,en;q=0.5"}, "zh-Hans"},
			{"Default", "/privacy/collected", nil, "en"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				w := getPage(t, h, tt.target, tt.header...)
				assert.Contains(t, w.Body.String(), `<html lang="`+tt.want+`"`)
				assert.Empty(t, w.Result().Cookies(), "a list never sets a cookie, not even for ?lang=")
				assert.Contains(t, w.Header().Values("Vary"), "Accept-Language, Cookie")
			})
		}
	})

	t.Run("FilterWithoutScript", func(t *testing.T) {
		body := getPage(t, h, "/privacy/collected?lang=zh-Hans&q=%E9%9F%B3%E8%A7%86%E9%A2%91").Body.String()
		assert.Equal(t, 1, strings.Count(body, `class="kc-card"`))
		assert.Contains(t, body, `id="fn-crash-reports"`)
		assert.Contains(t, body, "显示 1 项，共 11 项")
		assert.Contains(t, body, `value="音视频"`)
		escaped := getPage(t, h, "/privacy/shared?lang=en&q=%3Cscript%3E").Body.String()
		assert.NotContains(t, escaped, "<script>")
		assert.Contains(t, escaped, "Nothing matches")
	})

	t.Run("HashOfWhatTheListShows", func(t *testing.T) {
		sha := regexp.MustCompile(`data-testid="list-sha">([0-9a-f]{64})<`)
		whole := sha.FindStringSubmatch(getPage(t, h, "/privacy/shared?lang=en").Body.String())
		filtered := sha.FindStringSubmatch(getPage(t, h, "/privacy/shared?lang=en&q=amap").Body.String())
		zh := sha.FindStringSubmatch(getPage(t, h, "/privacy/shared?lang=zh-Hans").Body.String())
		require.Len(t, whole, 2)
		require.Len(t, filtered, 2)
		require.Len(t, zh, 2)
		assert.Equal(t, whole[1], filtered[1], "the hash names the whole list, not the filtered view")
		assert.NotEqual(t, whole[1], zh[1])
	})

	t.Run("LinkedFromThePolicy", func(t *testing.T) {
		for _, l := range []string{"zh-Hans", "en"} {
			body := getPage(t, h, "/privacy?lang="+l).Body.String()
			assert.Contains(t, body, `href="/privacy/collected?lang=`+l+`"`)
			assert.Contains(t, body, `href="/privacy/shared?lang=`+l+`"`)
		}
	})

	t.Run("UnknownList", func(t *testing.T) {
		assert.Equal(t, http.StatusNotFound, getPage(t, h, "/privacy/cookies").Code)
	})
}

// A release whose catalogue says other than its policy does not start.
func TestOpenRefusesACatalogueThePolicyContradicts(t *testing.T) {
	cat := localestest.Catalogues(t, localestest.Base)
	f := cat[localestest.Base+".toml"]
	edited := strings.Replace(string(f.Data), "运营商信息,音视频信息,SIM系列号", "运营商信息,SIM系列号", 1)
	require.NotEqual(t, string(f.Data), edited)
	cat[localestest.Base+".toml"] = &fstest.MapFile{Data: []byte(edited)}
	_, err := openData(Config{DataDir: t.TempDir(), WebDir: t.TempDir(), CatalogueFS: cat, PolicyFS: localestest.Policy(t, localestest.Base)}, slog.New(slog.DiscardHandler))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `purpose "crash-reports"`)
	assert.Contains(t, err.Error(), `lacks "音视频信息"`)
}
