package consent_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
)

func TestReask(t *testing.T) {
	old, cur := current(t), later(t) // 2022-10 and 2026-12
	fl := consent.SurfaceFirstLaunch
	must := func(d consent.Decision, err error) *consent.Decision {
		t.Helper()
		require.NoError(t, err)
		return &d
	}
	for _, tc := range []struct {
		name     string
		accepted *consent.Decision
		from, to *consent.Catalogue
		want     []consent.PurposeID
	}{
		{"ChangedAndNew", must(consent.Agree(old, fl, appOptional, consent.LangZhHans, t0)), old, cur, []consent.PurposeID{"location", "sensors"}},
		{"Unchanged", must(consent.Agree(old, fl, appOptional, consent.LangZhHans, t0)), old, current(t), nil},
		{"UnchangedAfterDecline", must(consent.Decline(old, fl, consent.LangZhHans, t0)), old, old, nil},
		{"ChangedButRefusedStaysRefused", must(consent.Agree(old, fl, []consent.PurposeID{"push"}, consent.LangZhHans, t0)), old, cur, []consent.PurposeID{"sensors"}},
		{"Declined", must(consent.Decline(old, fl, consent.LangZhHans, t0)), old, cur, []consent.PurposeID{"sensors"}},
		{"SettingsDecision", must(consent.Withdraw(old, *must(consent.Agree(old, fl, appOptional, consent.LangZhHans, t0)), consent.SurfaceSettings, consent.LangZhHans, t0, "push")), old, cur, []consent.PurposeID{"location", "sensors"}},
		{"WebCategoriesUnchanged", must(consent.Agree(old, consent.SurfaceWebBanner, []consent.PurposeID{"analytics"}, consent.LangEn, t0)), old, cur, nil},
		{"NoDecision", nil, old, cur, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, consent.Reask(tc.accepted, tc.from, tc.to))
		})
	}

	t.Run("OnlyLocationChangedItsHash", func(t *testing.T) {
		for _, s := range []consent.Surface{fl, consent.SurfaceWebBanner} {
			for _, p := range old.Purposes(s) {
				q, ok := cur.Purpose(s, p.ID)
				require.True(t, ok, p.ID)
				assert.Equal(t, p.ID == "location" && s == fl, p.Hash != q.Hash, p.ID)
			}
		}
	})
	t.Run("RequiredChangeIsReasked", func(t *testing.T) {
		// Hand-made catalogues: the same basic purpose with and
		// without a field, which changes its hash.
		a, err := consent.LoadCatalogue(fixture(t, "minimal.toml"), "2022-10")
		require.NoError(t, err)
		d := must(consent.Decline(a, fl, consent.LangEn, t0))
		b := loadEdited(t, "minimal.toml", `use = { zh-Hans = "注册", en = "Registration" }`, `use = { zh-Hans = "注册和登录", en = "Registration and login" }`)
		assert.Equal(t, []consent.PurposeID{"basic"}, consent.Reask(d, a, b))
	})
}

func TestReagree(t *testing.T) {
	old, cur := current(t), later(t)
	fl := consent.SurfaceFirstLaunch
	accepted, err := consent.Agree(old, fl, []consent.PurposeID{"push", "location", "analytics"}, consent.LangZhHans, t0)
	require.NoError(t, err)

	t.Run("OK", func(t *testing.T) {
		d, err := consent.Reagree(old, cur, accepted, fl, []consent.PurposeID{"sensors"}, consent.LangEn, t0)
		require.NoError(t, err)
		// location changed and was not ticked again: its old grant
		// does not cover the new text.
		assert.Equal(t, []consent.PurposeID{"analytics", "basic", "push", "sensors"}, granted(d))
		assert.Equal(t, "2026-12", d.PolicyVersion)
		assert.Equal(t, consent.KindAgreed, d.Kind)
		assert.NoError(t, cur.CheckDecision(d))
	})
	t.Run("NothingTicked", func(t *testing.T) {
		d, err := consent.Reagree(old, cur, accepted, fl, nil, consent.LangEn, t0)
		require.NoError(t, err)
		assert.Equal(t, []consent.PurposeID{"analytics", "basic", "push"}, granted(d))
	})
	t.Run("ErrNotReasked", func(t *testing.T) {
		_, err := consent.Reagree(old, cur, accepted, fl, []consent.PurposeID{"wechat-share"}, consent.LangEn, t0)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
		assert.ErrorContains(t, err, `"wechat-share"`)
	})
	t.Run("ErrOtherAudience", func(t *testing.T) {
		_, err := consent.Reagree(old, cur, accepted, consent.SurfaceWebBanner, nil, consent.LangEn, t0)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
	})
}

// A re-ask shows a changed data list as the items added and removed, split
// as the policy check splits them.
func TestCollectsChange(t *testing.T) {
	old, cur := current(t), later(t)
	was, ok := old.Purpose(consent.SurfaceFirstLaunch, "location")
	require.True(t, ok)
	now, ok := cur.Purpose(consent.SurfaceFirstLaunch, "location")
	require.True(t, ok)
	text := func(s string) consent.Purpose { return consent.Purpose{Collects: consent.Text{consent.LangEn: s}} }
	for _, tc := range []struct {
		name     string
		was, now consent.Purpose
		lang     string
		want     consent.ItemChange
	}{
		{"FixtureZh", was, now, consent.LangZhHans, consent.ItemChange{Added: []string{"WLAN扫描结果"}}},
		{"FixtureEn", was, now, consent.LangEn, consent.ItemChange{Added: []string{"WLAN scan results"}}},
		{"Removed", text("a, b (x, y), c"), text("a, c"), consent.LangEn, consent.ItemChange{Removed: []string{"b (x, y)"}}},
		{"AddedAndRemoved", text("a, b"), text("b, c, and d."), consent.LangEn, consent.ItemChange{Added: []string{"c", "d"}, Removed: []string{"a"}}},
		{"ReorderedIsNoChange", text("a, b"), text("b, a"), consent.LangEn, consent.ItemChange{}},
		{"Same", was, was, consent.LangZhHans, consent.ItemChange{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, consent.CollectsChange(tc.was, tc.now, tc.lang))
		})
	}
}
