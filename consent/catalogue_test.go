package consent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/catalogue"
)

func TestCatalogue_Policy202210(t *testing.T) {
	cat := current(t)

	t.Run("FiveSDKsOfThePolicy", func(t *testing.T) {
		// Section 二(三) of the policy names exactly these SDKs.
		want := map[consent.PurposeID]string{
			"push":          "个推SDK",
			"wechat-share":  "微信SDK",
			"location":      "高德地图SDK",
			"crash-reports": "腾讯SDK Bugly",
			"analytics":     "友盟统计SDK(com.umeng)",
		}
		got := map[consent.PurposeID]string{}
		for _, p := range cat.Purposes(consent.SurfaceFirstLaunch) {
			if len(p.SDK) > 0 {
				got[p.ID] = p.SDK[consent.LangZhHans]
			}
		}
		assert.Equal(t, want, got)
	})

	t.Run("SDKsOptionalAndSeparateConsent", func(t *testing.T) {
		for _, id := range appOptional {
			p, ok := cat.Purpose(consent.SurfaceFirstLaunch, id)
			require.True(t, ok, id)
			assert.False(t, p.Required, id)
			assert.Equal(t, consent.SeparateConsent, p.ConsentType, id)
			assert.Equal(t, []string{"s2-3"}, p.Sections, id)
			assert.NotEmpty(t, p.Native.OnGrant, id)
		}
	})

	t.Run("BasicRequiredNotSeparate", func(t *testing.T) {
		for _, s := range []consent.Surface{consent.SurfaceFirstLaunch, consent.SurfaceSettings} {
			p, ok := cat.Required(s)
			require.True(t, ok)
			assert.Equal(t, consent.PurposeID("basic"), p.ID)
			assert.Equal(t, consent.Consent, p.ConsentType)
			assert.Empty(t, p.SDK)
		}
	})

	t.Run("AppSurfacesShowTheSamePurposes", func(t *testing.T) {
		assert.Equal(t, cat.Purposes(consent.SurfaceFirstLaunch), cat.Purposes(consent.SurfaceSettings))
		ids := func(ps []consent.Purpose) (ids []consent.PurposeID) {
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
			return ids
		}
		assert.Equal(t, append([]consent.PurposeID{"basic"}, appOptional...), ids(cat.Purposes(consent.SurfaceFirstLaunch)))
		assert.Equal(t, []consent.PurposeID{"necessary", "preferences", "analytics"}, ids(cat.Purposes(consent.SurfaceWebBanner)))
		assert.Nil(t, cat.Purposes("popup"))
	})

	t.Run("WebCategories", func(t *testing.T) {
		nec, ok := cat.Required(consent.SurfaceWebBanner)
		require.True(t, ok)
		assert.Equal(t, consent.PurposeID("necessary"), nec.ID)
		an, ok := cat.Purpose(consent.SurfaceWebBanner, "analytics")
		require.True(t, ok)
		assert.Equal(t, []string{consent.SignalAnalyticsStorage}, an.ConsentMode)
		assert.Equal(t, []string{"s2-1", "s2-2"}, an.Sections)
		pref, ok := cat.Purpose(consent.SurfaceWebBanner, "preferences")
		require.True(t, ok)
		assert.Empty(t, pref.ConsentMode)
		// The same id means different things to the app and the
		// website; the surface tells them apart.
		app, _ := cat.Purpose(consent.SurfaceSettings, "analytics")
		assert.NotEqual(t, app.Hash, an.Hash)
		assert.Equal(t, "app", app.Audience)
	})

	t.Run("EveryTextInBothLanguages", func(t *testing.T) {
		for _, s := range []consent.Surface{consent.SurfaceFirstLaunch, consent.SurfaceWebBanner} {
			for _, p := range cat.Purposes(s) {
				texts := map[string]consent.Text{
					"title": p.Title, "description": p.Description, "sdk": p.SDK, "function": p.Function,
					"collects": p.Collects, "use": p.Use, "recipient": p.Recipient,
				}
				for field, text := range texts {
					if len(text) == 0 {
						continue
					}
					for _, lang := range consent.Languages {
						assert.NotEmpty(t, strings.TrimSpace(text[lang]), "%s %s %s", p.ID, field, lang)
					}
				}
				assert.NotEmpty(t, p.Title.In(consent.LangEn), p.ID)
				assert.NotEmpty(t, p.Recipient.In(consent.LangEn), p.ID)
			}
		}
	})

	t.Run("HashesDistinctAndStable", func(t *testing.T) {
		again := current(t)
		seen := map[string]consent.PurposeID{}
		for _, s := range []consent.Surface{consent.SurfaceFirstLaunch, consent.SurfaceWebBanner} {
			for _, p := range cat.Purposes(s) {
				assert.Len(t, p.Hash, 64)
				_, dup := seen[p.Hash]
				assert.False(t, dup, p.ID)
				seen[p.Hash] = p.ID
				q, _ := again.Purpose(s, p.ID)
				assert.Equal(t, p.Hash, q.Hash)
			}
		}
	})
}

func TestText_In(t *testing.T) {
	text := consent.Text{consent.LangZhHans: "位置服务", consent.LangEn: "Location services"}
	assert.Equal(t, "Location services", text.In(consent.LangEn))
	assert.Equal(t, "位置服务", text.In(consent.LangZhHans))
	assert.Equal(t, "位置服务", text.In("fr"), "falls back to the governing Chinese text")
}

func TestPurpose_MatchesCookie(t *testing.T) {
	an, ok := current(t).Purpose(consent.SurfaceWebBanner, "analytics")
	require.True(t, ok)
	for name, want := range map[string]bool{
		"_ga": true, "_ga_ABC123": true, "_gid": true, "Hm_lvt_0123abcd": true, "Hm_lpvt_0123abcd": true,
		"_gac": false, "kc_lang": false, "session": false, "hm_lvt_x": false,
	} {
		t.Run(name, func(t *testing.T) { assert.Equal(t, want, an.MatchesCookie(name)) })
	}
}

func TestLoadCatalogue(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		cat, err := consent.LoadCatalogue(fixture(t, "minimal.toml"), "2022-10")
		require.NoError(t, err)
		assert.Equal(t, "2022-10", cat.Version())
		assert.Len(t, cat.Purposes(consent.SurfaceFirstLaunch), 2)
	})
	t.Run("ErrBadVersion", func(t *testing.T) {
		_, err := consent.LoadCatalogue(catalogue.FS, "../2022-10")
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.ErrorContains(t, err, "version")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := consent.LoadCatalogue(catalogue.FS, "2019-01")
		assert.Equal(t, errs.NotFound, errs.Code(err))
		assert.ErrorContains(t, err, "2019-01")
	})
	t.Run("ErrSyntax", func(t *testing.T) {
		_, err := consent.LoadCatalogue(fstest.MapFS{"2022-10.toml": {Data: []byte("version = ")}}, "2022-10")
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})

	// Each fixture is testdata/consent/minimal.toml with one mistake; the
	// error must name the purpose and the field so a reviewer can fix it.
	for _, tc := range []struct {
		fixture string
		want    []string
	}{
		{"duplicate-id", []string{`"push"`, "duplicate"}},
		{"missing-en", []string{`"push"`, "title", "missing en"}},
		{"unsupported-language", []string{`"necessary"`, "recipient", `"fr"`}},
		{"unknown-consent-type", []string{`"push"`, "consent_type", `"opt-in"`}},
		{"two-required", []string{"exactly one required app purpose", "have 2"}},
		{"no-required", []string{"exactly one required app purpose", "have 0"}},
		{"no-required-web", []string{"exactly one required web category", "have 0"}},
		{"required-separate", []string{`"basic"`, "consent_type", "separate consent"}},
		{"unknown-key", []string{"unknown key", "usage"}},
		{"version-mismatch", []string{"version", `"2022-11"`}},
		{"optional-without-sdk", []string{`"push"`, "sdk"}},
		{"sdk-without-native", []string{`"push"`, "native.on_grant"}},
		{"unknown-signal", []string{`"analytics"`, "consent_mode", `"analytics_cookies"`}},
		{"bad-cookie-pattern", []string{`"analytics"`, "cookies", `"_ga_["`}},
		{"bad-section", []string{`"basic"`, "sections", `"1.3"`}},
		{"necessary-unnamed-cookie", []string{`"necessary"`, "description.en", `"kc_sub"`}},
	} {
		t.Run("Err_"+tc.fixture, func(t *testing.T) {
			_, err := consent.LoadCatalogue(fixture(t, filepath.Join("invalid", tc.fixture+".toml")), "2022-10")
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// fixture serves a file of testdata/consent as the catalogue 2022-10.
func fixture(t *testing.T, name string) fstest.MapFS {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "consent", name))
	require.NoError(t, err)
	return fstest.MapFS{"2022-10.toml": {Data: b}}
}

// loadEdited loads a file of testdata/consent as the catalogue 2022-10
// after replacing old by new in it, for a variant that differs in one line.
func loadEdited(t *testing.T, name, old, new string) *consent.Catalogue {
	t.Helper()
	fsys := fixture(t, name)
	f := fsys["2022-10.toml"]
	require.Contains(t, string(f.Data), old)
	f.Data = []byte(strings.Replace(string(f.Data), old, new, 1))
	cat, err := consent.LoadCatalogue(fsys, "2022-10")
	require.NoError(t, err)
	return cat
}

// The shipped catalogue flags the items the policy marks: the phone number
// and the password of registration as sensitive (policy 1.3 and 1.1.3), the
// location information of the push, sharing and map SDKs as sensitive and
// as location (bold in the SDK table), the analytics SDK's geographic
// location as location only (the policy does not print it in bold).
func TestFlaggedItems(t *testing.T) {
	cat := current(t)
	for _, tt := range []struct {
		id                  consent.PurposeID
		lang                string
		sensitive, location []string
	}{
		{"basic", consent.LangZhHans, []string{"中国大陆手机号码", "拟使用的用户名和密码"}, nil},
		{"basic", consent.LangEn, []string{"Mobile phone number in Chinese Mainland", "user name and password to be used"}, nil},
		{"push", consent.LangZhHans, []string{"位置信息"}, []string{"位置信息"}},
		{"wechat-share", consent.LangEn, []string{"location information"}, []string{"location information"}},
		{"location", consent.LangZhHans, []string{"位置信息"}, []string{"获取位置", "位置信息"}},
		{"crash-reports", consent.LangZhHans, nil, nil},
		{"analytics", consent.LangZhHans, nil, []string{"地理位置"}},
	} {
		t.Run(string(tt.id)+"/"+tt.lang, func(t *testing.T) {
			p, ok := cat.Purpose(consent.SurfaceFirstLaunch, tt.id)
			require.True(t, ok)
			sensitive, location := p.FlaggedItems(tt.lang)
			assert.Equal(t, tt.sensitive, sensitive)
			assert.Equal(t, tt.location, location)
			assert.Equal(t, len(tt.sensitive) > 0, p.HasSensitive())
		})
	}
	impact, ok := cat.SensitiveImpact()
	require.True(t, ok)
	assert.Equal(t, "s1-1-3", impact.Clause)
	assert.Contains(t, impact.Quote[consent.LangZhHans], "一旦泄露、非法提供或滥用可能危害人身和财产安全")
}
