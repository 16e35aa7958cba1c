package notice_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gowebpki/jcs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

func mustJCS(t *testing.T, b []byte) []byte {
	t.Helper()
	c, err := jcs.Transform(b)
	require.NoError(t, err)
	return c
}

func latest(t *testing.T) *consent.Catalogue {
	t.Helper()
	cat, err := consent.LoadCatalogue(catalogues.FS, localestest.Base)
	require.NoError(t, err)
	return cat
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "notice", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./notice -update to create %s", path)
	assert.Equal(t, string(want), string(got), "%s differs: every reference of that kind changes with it; if that is meant, run go test ./notice -update", name)
}

// TestGolden pins one notice document of each kind, and so the reference of
// every notice: a change to what a notice holds changes every reference.
func TestGolden(t *testing.T) {
	cat := latest(t)
	push, ok := cat.Purpose(consent.SurfaceFirstLaunch, "push")
	require.True(t, ok)
	for _, tt := range []struct {
		name string
		n    notice.Notice
	}{
		{"shown-app.en", notice.NewShown(cat, consent.SurfaceFirstLaunch, consent.LangEn)},
		{"purpose-push.en", notice.NewPurpose(cat.Version(), push, consent.LangEn)},
		{"withdrawal.zh-Hans", notice.NewWithdrawal(consent.LangZhHans)},
		{"controller", notice.NewController(receipt.Kaiconn)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name+".json", pretty(t, tt.n))
			golden(t, tt.name+".ref", []byte(notice.Ref(tt.n)+"\n"))
		})
	}
}

func TestNewPurpose(t *testing.T) {
	cat := latest(t)
	t.Run("ThirdPartySDK", func(t *testing.T) {
		p, _ := cat.Purpose(consent.SurfaceFirstLaunch, "push")
		n := notice.NewPurpose(cat.Version(), p, consent.LangZhHans)
		assert.Equal(t, notice.KindPurpose, n.Kind)
		assert.Equal(t, "app", n.Audience)
		assert.Equal(t, "个推SDK", n.SDK)
		assert.Equal(t, "https://getui.com/privacy", n.PrivacyURL)
		assert.Equal(t, notice.WithdrawText(consent.LangZhHans), n.Withdraw.Text)
		assert.Equal(t, receipt.WithdrawURL, n.Withdraw.URL)
		assert.Nil(t, n.Cookies)
	})
	t.Run("RequiredProcessing", func(t *testing.T) {
		p, _ := cat.Purpose(consent.SurfaceFirstLaunch, "basic")
		n := notice.NewPurpose(cat.Version(), p, consent.LangEn)
		assert.True(t, n.Required)
		assert.Equal(t, notice.RequiredText(consent.LangEn), n.Withdraw.Text, "the required processing cannot be withdrawn alone")
	})
	t.Run("WebCategoryOmitsWhatItLacks", func(t *testing.T) {
		p, _ := cat.Purpose(consent.SurfaceWebBanner, "preferences")
		b := notice.Canonical(notice.NewPurpose(cat.Version(), p, consent.LangEn))
		assert.Contains(t, string(b), `"cookies":["kc_pref_*","kc_lang"]`)
		assert.NotContains(t, string(b), `"sdk"`)
		assert.NotContains(t, string(b), `"use"`)
		assert.NotContains(t, string(b), `"privacyUrl"`)
		assert.Contains(t, string(b), `"required":false`, "required is always stated")
	})
	t.Run("SameIDOtherAudience", func(t *testing.T) {
		app, _ := cat.Purpose(consent.SurfaceFirstLaunch, "analytics")
		web, _ := cat.Purpose(consent.SurfaceWebBanner, "analytics")
		assert.NotEqual(t, notice.PurposeRef(cat.Version(), app, consent.LangEn), notice.PurposeRef(cat.Version(), web, consent.LangEn))
	})
	t.Run("RefIsHashOfCanonicalForm", func(t *testing.T) {
		p, _ := cat.Purpose(consent.SurfaceFirstLaunch, "location")
		n := notice.NewPurpose(cat.Version(), p, consent.LangEn)
		assert.Equal(t, notice.HashBytes(mustJCS(t, pretty(t, n))), notice.Ref(n))
		assert.Equal(t, notice.Ref(n), notice.PurposeRef(cat.Version(), p, consent.LangEn), "remembered references are the references")
		p.Hash = ""
		assert.Equal(t, notice.Ref(n), notice.PurposeRef(cat.Version(), p, consent.LangEn))
	})
}

func TestNewShown(t *testing.T) {
	cat := latest(t)
	for _, surface := range consent.Surfaces {
		for _, lang := range consent.Languages {
			t.Run(string(surface)+"/"+lang, func(t *testing.T) {
				n := notice.NewShown(cat, surface, lang)
				assert.Equal(t, notice.KindShown, n.Kind)
				assert.Equal(t, cat.Version(), n.Version)
				assert.Equal(t, lang, n.Language)
				assert.Equal(t, notice.Ref(notice.NewController(receipt.Kaiconn)), n.Controller)
				assert.Equal(t, notice.Ref(notice.NewWithdrawal(lang)), n.Withdrawal)
				// The purposes of a receipt taken there, in its order.
				choices := consent.Blank(cat, surface)
				require.Len(t, n.Purposes, len(choices))
				for i, c := range choices {
					p, ok := cat.Purpose(surface, c.Purpose)
					require.True(t, ok)
					assert.Equal(t, string(c.Purpose), n.Purposes[i].ID)
					assert.Equal(t, p.Audience, n.Audience)
					assert.Equal(t, notice.Ref(notice.NewPurpose(cat.Version(), p, lang)), n.Purposes[i].Notice, c.Purpose)
				}
				assert.Equal(t, notice.Ref(n), notice.For(cat, surface, lang))
				assert.Equal(t, notice.Ref(n), notice.For(cat, surface, lang), "remembered references are the references")
			})
		}
	}
	t.Run("SettingsShowsTheSamePurposesButAsksNoFact", func(t *testing.T) {
		first := notice.NewShown(cat, consent.SurfaceFirstLaunch, consent.LangEn)
		settings := notice.NewShown(cat, consent.SurfaceSettings, consent.LangEn)
		assert.Equal(t, first.Purposes, settings.Purposes)
		assert.Empty(t, settings.Confirmations)
		assert.NotContains(t, string(notice.Canonical(settings)), "confirmations", "no facts, no member: the notice settings receipts named before facts existed")
		assert.NotEqual(t, notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn), notice.For(cat, consent.SurfaceSettings, consent.LangEn))
	})
	t.Run("FirstLaunchListsTheStatementConfirmed", func(t *testing.T) {
		for _, lang := range consent.Languages {
			n := notice.NewShown(cat, consent.SurfaceFirstLaunch, lang)
			f, ok := cat.Fact(consent.SurfaceFirstLaunch, "age-18", lang)
			require.True(t, ok)
			assert.Equal(t, []notice.ShownConfirmation{{ID: "age-18", Statement: f.Statement}}, n.Confirmations)
			assert.True(t, n.Confirms("age-18"))
			assert.False(t, n.Confirms("age-16"))
		}
		assert.Equal(t, "我确认我已年满18周岁", notice.NewShown(cat, consent.SurfaceFirstLaunch, consent.LangZhHans).Confirmations[0].Statement)
	})
	t.Run("AudiencesDiffer", func(t *testing.T) {
		assert.NotEqual(t, notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn), notice.For(cat, consent.SurfaceWebBanner, consent.LangEn))
	})
	t.Run("LanguagesDiffer", func(t *testing.T) {
		assert.NotEqual(t, notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn), notice.For(cat, consent.SurfaceFirstLaunch, consent.LangZhHans))
		assert.NotEqual(t, notice.WithdrawalRef(consent.LangEn), notice.WithdrawalRef(consent.LangZhHans))
	})
	t.Run("OtherCatalogueOtherNotice", func(t *testing.T) {
		fixture, err := consent.LoadCatalogue(os.DirFS(filepath.Join("..", "testdata", "catalogue")), "2026-12")
		require.NoError(t, err)
		assert.NotEqual(t, notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn), notice.For(fixture, consent.SurfaceFirstLaunch, consent.LangEn))
	})
}

func TestAll(t *testing.T) {
	cat := latest(t)
	ns := notice.All(cat)
	// The shown notice of each surface in each language (first launch
	// lists the age-18 statement, settings none, so they differ), each
	// purpose of both audiences in each language, a withdrawal notice per
	// language and the controller.
	purposes := len(cat.Purposes(consent.SurfaceFirstLaunch)) + len(cat.Purposes(consent.SurfaceWebBanner))
	assert.Len(t, ns, (3+purposes)*len(consent.Languages)+len(consent.Languages)+1)
	seen := map[string]bool{}
	for _, n := range ns {
		ref := notice.Ref(n)
		assert.False(t, seen[ref], "notice %s listed twice", ref)
		seen[ref] = true
	}
	// Everything a shown notice lists is there too, so that a receipt
	// checks all the way down.
	shown := 0
	for _, n := range ns {
		s, ok := n.(notice.Shown)
		if !ok {
			continue
		}
		shown++
		assert.True(t, seen[s.Controller], "controller of %s", notice.Ref(s))
		assert.True(t, seen[s.Withdrawal], "withdrawal of %s", notice.Ref(s))
		for _, p := range s.Purposes {
			assert.True(t, seen[p.Notice], "purpose %s of %s", p.ID, notice.Ref(s))
		}
	}
	assert.Equal(t, 3*len(consent.Languages), shown)
}
