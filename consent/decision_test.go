package consent_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/consent")

// granted lists the purposes a decision grants, in choice order.
func granted(d consent.Decision) (ids []consent.PurposeID) {
	for _, c := range d.Choices {
		if c.Granted {
			ids = append(ids, c.Purpose)
		}
	}
	return ids
}

func TestBlank(t *testing.T) {
	cat := current(t)
	t.Run("FirstLaunchNothingPreTicked", func(t *testing.T) {
		cs := consent.Blank(cat, consent.SurfaceFirstLaunch)
		require.Len(t, cs, 6)
		for _, c := range cs {
			assert.Equal(t, c.Purpose == "basic", c.Granted, c.Purpose)
			assert.Equal(t, c.Purpose == "basic", c.Required, c.Purpose)
		}
	})
	t.Run("WebBanner", func(t *testing.T) {
		assert.Equal(t, []consent.Choice{
			{Purpose: "analytics"},
			{Purpose: "necessary", Granted: true, Required: true},
			{Purpose: "preferences"},
		}, consent.Blank(cat, consent.SurfaceWebBanner))
	})
	t.Run("UnknownSurface", func(t *testing.T) {
		assert.Empty(t, consent.Blank(cat, "popup"))
	})
}

func TestAgree(t *testing.T) {
	cat := current(t)
	for _, tc := range []struct {
		name    string
		surface consent.Surface
		ticked  []consent.PurposeID
		want    []consent.PurposeID
	}{
		{"OK", consent.SurfaceFirstLaunch, []consent.PurposeID{"location", "analytics"}, []consent.PurposeID{"analytics", "basic", "location"}},
		{"NothingTicked", consent.SurfaceFirstLaunch, nil, []consent.PurposeID{"basic"}},
		{"RequiredTickedToo", consent.SurfaceFirstLaunch, []consent.PurposeID{"basic", "push"}, []consent.PurposeID{"basic", "push"}},
		{"Duplicates", consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "push"}, []consent.PurposeID{"basic", "push"}},
		{"All", consent.SurfaceFirstLaunch, appOptional, []consent.PurposeID{"analytics", "basic", "crash-reports", "location", "push", "wechat-share"}},
		{"WebBanner", consent.SurfaceWebBanner, []consent.PurposeID{"analytics"}, []consent.PurposeID{"analytics", "necessary"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := consent.Agree(cat, tc.surface, tc.ticked, consent.LangEn, t0)
			require.NoError(t, err)
			assert.Equal(t, tc.want, granted(d))
			assert.Equal(t, consent.KindAgreed, d.Kind)
			assert.Equal(t, tc.surface, d.Surface)
			assert.Equal(t, "2022-10", d.PolicyVersion)
			assert.Equal(t, consent.LangEn, d.Lang)
			assert.Equal(t, time.UTC, d.At.Location())
			assert.True(t, d.At.Equal(t0))
			assert.Len(t, d.Choices, len(cat.Purposes(tc.surface)))
			assert.NoError(t, cat.CheckDecision(d))
		})
	}
	t.Run("ErrUnknownPurpose", func(t *testing.T) {
		_, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "sensors"}, consent.LangEn, t0)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
		assert.ErrorContains(t, err, `"sensors"`)
	})
	t.Run("ErrPurposeOfOtherSurface", func(t *testing.T) {
		_, err := consent.Agree(cat, consent.SurfaceWebBanner, []consent.PurposeID{"location"}, consent.LangEn, t0)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
		assert.ErrorContains(t, err, `"location"`)
	})
	t.Run("ErrUnknownSurface", func(t *testing.T) {
		_, err := consent.Agree(cat, "popup", nil, consent.LangEn, t0)
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.ErrorContains(t, err, `"popup"`)
	})
	t.Run("ErrUnknownLang", func(t *testing.T) {
		_, err := consent.Agree(cat, consent.SurfaceFirstLaunch, nil, "fr", t0)
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.ErrorContains(t, err, `"fr"`)
	})
}

func TestDecline(t *testing.T) {
	cat := current(t)
	for _, s := range []consent.Surface{consent.SurfaceFirstLaunch, consent.SurfaceWebBanner} {
		t.Run(string(s), func(t *testing.T) {
			d, err := consent.Decline(cat, s, consent.LangZhHans, t0)
			require.NoError(t, err)
			req, _ := cat.Required(s)
			assert.Equal(t, []consent.PurposeID{req.ID}, granted(d))
			assert.Equal(t, consent.KindDeclined, d.Kind)
			assert.True(t, consent.BasicUseAllowed(d), "declining optional purposes never blocks basic use")
			assert.True(t, d.Refused())
		})
	}
}

func TestBasicUseAllowed(t *testing.T) {
	cat := current(t)
	// Every subset of the optional purposes: basic use is never blocked.
	for mask := range 1 << len(appOptional) {
		var ticked []consent.PurposeID
		for i, id := range appOptional {
			if mask&(1<<i) != 0 {
				ticked = append(ticked, id)
			}
		}
		d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, ticked, consent.LangZhHans, t0)
		require.NoError(t, err)
		assert.True(t, consent.BasicUseAllowed(d), "ticked %v", ticked)
		if len(ticked) > 0 {
			w, err := consent.Withdraw(cat, d, consent.SurfaceSettings, consent.LangZhHans, t0, ticked...)
			require.NoError(t, err)
			assert.True(t, consent.BasicUseAllowed(w), "withdrew %v", ticked)
		}
	}
	t.Run("RequiredRefused", func(t *testing.T) {
		assert.False(t, consent.BasicUseAllowed(consent.Decision{Choices: []consent.Choice{{Purpose: "basic", Required: true}}}))
	})
	t.Run("NoDecision", func(t *testing.T) {
		assert.False(t, consent.BasicUseAllowed(consent.Decision{}))
	})
}

func TestUpdate(t *testing.T) {
	cat := current(t)
	first, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "location"}, consent.LangZhHans, t0)
	require.NoError(t, err)
	then := t0.Add(time.Hour)

	t.Run("OK", func(t *testing.T) {
		d, err := consent.Update(cat, first, consent.SurfaceSettings, map[consent.PurposeID]bool{"location": false, "analytics": true}, consent.LangEn, then)
		require.NoError(t, err)
		assert.Equal(t, []consent.PurposeID{"analytics", "basic", "push"}, granted(d))
		assert.Equal(t, consent.KindUpdated, d.Kind)
		assert.Equal(t, consent.SurfaceSettings, d.Surface)
		assert.True(t, d.At.Equal(then))
		assert.Equal(t, []consent.PurposeID{"location"}, consent.Revoked(first, d))
	})
	t.Run("RequiredOnIsNoChange", func(t *testing.T) {
		d, err := consent.Update(cat, first, consent.SurfaceSettings, map[consent.PurposeID]bool{"basic": true}, consent.LangEn, then)
		require.NoError(t, err)
		assert.Equal(t, granted(first), granted(d))
	})
	t.Run("NewPurposeStaysOff", func(t *testing.T) {
		// A decision under 2022-10 updated under 2026-12: sensors was
		// never asked, so it is not carried in as granted.
		d, err := consent.Update(later(t), first, consent.SurfaceSettings, map[consent.PurposeID]bool{"push": false}, consent.LangEn, then)
		require.NoError(t, err)
		assert.Equal(t, []consent.PurposeID{"basic", "location"}, granted(d))
		assert.Equal(t, "2026-12", d.PolicyVersion)
		assert.Len(t, d.Choices, 7)
	})
	t.Run("ErrRequiredOff", func(t *testing.T) {
		_, err := consent.Update(cat, first, consent.SurfaceSettings, map[consent.PurposeID]bool{"basic": false}, consent.LangEn, then)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
		assert.ErrorContains(t, err, `"basic"`)
	})
	t.Run("ErrUnknownPurpose", func(t *testing.T) {
		_, err := consent.Update(cat, first, consent.SurfaceSettings, map[consent.PurposeID]bool{"ads": true}, consent.LangEn, then)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
		assert.ErrorContains(t, err, `"ads"`)
	})
	t.Run("ErrNoChanges", func(t *testing.T) {
		_, err := consent.Update(cat, first, consent.SurfaceSettings, nil, consent.LangEn, then)
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})
	t.Run("ErrOtherAudience", func(t *testing.T) {
		_, err := consent.Update(cat, first, consent.SurfaceWebBanner, map[consent.PurposeID]bool{"analytics": true}, consent.LangEn, then)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
		assert.ErrorContains(t, err, "web-banner")
	})
}

func TestWithdraw(t *testing.T) {
	cat := current(t)
	first, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "location", "analytics"}, consent.LangZhHans, t0)
	require.NoError(t, err)

	t.Run("OK", func(t *testing.T) {
		d, err := consent.Withdraw(cat, first, consent.SurfaceSettings, consent.LangZhHans, t0, "location", "analytics")
		require.NoError(t, err)
		assert.Equal(t, []consent.PurposeID{"basic", "push"}, granted(d))
		assert.Equal(t, consent.KindWithdrawn, d.Kind)
		assert.Equal(t, []consent.PurposeID{"analytics", "location"}, consent.Revoked(first, d))
		assert.True(t, d.Refused())
	})
	t.Run("NotGrantedIsNoChange", func(t *testing.T) {
		d, err := consent.Withdraw(cat, first, consent.SurfaceSettings, consent.LangZhHans, t0, "wechat-share")
		require.NoError(t, err)
		assert.Equal(t, granted(first), granted(d))
		assert.Empty(t, consent.Revoked(first, d))
	})
	t.Run("WebCategory", func(t *testing.T) {
		web, err := consent.Agree(cat, consent.SurfaceWebBanner, []consent.PurposeID{"analytics", "preferences"}, consent.LangEn, t0)
		require.NoError(t, err)
		d, err := consent.Withdraw(cat, web, consent.SurfaceWebBanner, consent.LangEn, t0, "analytics")
		require.NoError(t, err)
		assert.Equal(t, []consent.PurposeID{"necessary", "preferences"}, granted(d))
	})
	t.Run("ErrRequired", func(t *testing.T) {
		_, err := consent.Withdraw(cat, first, consent.SurfaceSettings, consent.LangZhHans, t0, "push", "basic")
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
		assert.ErrorContains(t, err, `"basic"`)
	})
	t.Run("ErrUnknownPurpose", func(t *testing.T) {
		_, err := consent.Withdraw(cat, first, consent.SurfaceSettings, consent.LangZhHans, t0, "ads")
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
		assert.ErrorContains(t, err, `"ads"`)
	})
	t.Run("ErrNothing", func(t *testing.T) {
		_, err := consent.Withdraw(cat, first, consent.SurfaceSettings, consent.LangZhHans, t0)
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})
}

func TestCatalogue_CheckDecision(t *testing.T) {
	cat := current(t)
	good, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangZhHans, t0)
	require.NoError(t, err)
	require.NoError(t, cat.CheckDecision(good))

	for _, tc := range []struct {
		name   string
		change func(d *consent.Decision)
		code   string
		want   string
	}{
		{"ErrVersion", func(d *consent.Decision) { d.PolicyVersion = "2026-12" }, errs.Unprocessable, "policy_version"},
		{"ErrSurface", func(d *consent.Decision) { d.Surface = "popup" }, errs.Invalid, "surface"},
		{"ErrKind", func(d *consent.Decision) { d.Kind = "maybe" }, errs.Invalid, "kind"},
		{"ErrLang", func(d *consent.Decision) { d.Lang = "fr" }, errs.Invalid, "lang"},
		{"ErrTime", func(d *consent.Decision) { d.At = time.Time{} }, errs.Invalid, "at"},
		{"ErrMissingChoice", func(d *consent.Decision) { d.Choices = d.Choices[1:] }, errs.Unprocessable, "choices"},
		{"ErrUnknownPurpose", func(d *consent.Decision) { d.Choices[0].Purpose = "ads" }, errs.Unprocessable, `"ads"`},
		{"ErrOrder", func(d *consent.Decision) { d.Choices[0], d.Choices[1] = d.Choices[1], d.Choices[0] }, errs.Unprocessable, "out of order"},
		{"ErrRequiredRefused", func(d *consent.Decision) {
			for i := range d.Choices {
				if d.Choices[i].Purpose == "basic" {
					d.Choices[i].Granted = false
				}
			}
		}, errs.Unprocessable, `"basic"`},
		{"ErrRequiredFlag", func(d *consent.Decision) {
			for i := range d.Choices {
				if d.Choices[i].Purpose == "push" {
					d.Choices[i].Required = true
				}
			}
		}, errs.Unprocessable, `"push"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := good
			d.Choices = append([]consent.Choice(nil), good.Choices...)
			tc.change(&d)
			err := cat.CheckDecision(d)
			assert.Equal(t, tc.code, errs.Code(err))
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// TestDecision_JSON pins the JSON of a decision, which receipts sign: it
// must not change by accident.
func TestDecision_JSON(t *testing.T) {
	cat := current(t)
	at := time.Date(2025, 3, 1, 9, 30, 15, 123456789, time.FixedZone("CST", 8*3600))
	d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"location", "push"}, consent.LangZhHans, at)
	require.NoError(t, err)
	got, err := json.MarshalIndent(d, "", "  ")
	require.NoError(t, err)

	// Ticking in another order gives the same bytes.
	d2, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "location"}, consent.LangZhHans, at)
	require.NoError(t, err)
	again, err := json.MarshalIndent(d2, "", "  ")
	require.NoError(t, err)
	assert.Equal(t, string(got), string(again))

	golden := filepath.Join("..", "testdata", "consent", "decision.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got)+"\n")

	var back consent.Decision
	require.NoError(t, json.Unmarshal(got, &back))
	assert.Equal(t, d, back, "a decision survives a JSON round trip")
}
