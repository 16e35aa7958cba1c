package consent_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
)

func TestCatalogue_ShouldPrompt(t *testing.T) {
	old, cur := current(t), later(t) // 2022-10 and 2026-12
	must := func(d consent.Decision, err error) consent.Decision {
		t.Helper()
		require.NoError(t, err)
		return d
	}
	at := func(d consent.Decision, when time.Time) consent.Decision {
		d.At = when.UTC()
		return d
	}
	fl, st := consent.SurfaceFirstLaunch, consent.SurfaceSettings
	agreedAll := must(consent.Agree(old, fl, appOptional, consent.LangZhHans, t0))
	agreedSome := must(consent.Agree(old, fl, []consent.PurposeID{"push"}, consent.LangZhHans, t0))
	declined := must(consent.Decline(old, fl, consent.LangZhHans, t0))
	withdrawn := must(consent.Withdraw(old, agreedAll, st, consent.LangZhHans, t0, "location"))
	agreedAllNow := must(consent.Agree(cur, fl, append(appOptional, "sensors"), consent.LangZhHans, t0))
	declinedNow := must(consent.Decline(cur, fl, consent.LangZhHans, t0))

	for _, tc := range []struct {
		name    string
		cat     *consent.Catalogue
		history []consent.Decision
		after   time.Duration // now is t0 + after
		opened  bool
		want    bool
	}{
		{"FirstLaunch", cur, nil, 0, false, true},
		{"AnsweredThisVersion", cur, []consent.Decision{agreedAllNow}, time.Hour, false, false},
		{"DeclinedThisVersionStands", cur, []consent.Decision{declinedNow}, 1000 * time.Hour, false, false},
		{"DeclinedThisVersionOpenedByUser", cur, []consent.Decision{declinedNow}, time.Minute, true, true},
		{"NewVersionNoRefusal", cur, []consent.Decision{agreedAll}, time.Minute, false, true},

		{"NewVersionDeclined47h59m", cur, []consent.Decision{declined}, 47*time.Hour + 59*time.Minute, false, false},
		{"NewVersionDeclined48h", cur, []consent.Decision{declined}, 48 * time.Hour, false, true},
		{"NewVersionDeclined48h01m", cur, []consent.Decision{declined}, 48*time.Hour + time.Minute, false, true},
		{"NewVersionDeclined47h59mOpenedByUser", cur, []consent.Decision{declined}, 47*time.Hour + 59*time.Minute, true, true},

		{"NewVersionRefusedOnePurpose47h59m", cur, []consent.Decision{agreedSome}, 47*time.Hour + 59*time.Minute, false, false},
		{"NewVersionRefusedOnePurpose48h", cur, []consent.Decision{agreedSome}, 48 * time.Hour, false, true},
		{"NewVersionWithdrawnRecently", cur, []consent.Decision{at(agreedAll, t0.Add(-100*time.Hour)), withdrawn}, time.Hour, false, false},
		{"OldRefusalThenFullAgreement", cur, []consent.Decision{at(declined, t0.Add(-100*time.Hour)), at(agreedAll, t0.Add(-time.Hour))}, 0, false, true},
		{"RecentRefusalThenFullAgreement", cur, []consent.Decision{at(declined, t0.Add(-2*time.Hour)), at(agreedAll, t0.Add(-time.Hour))}, 0, false, false},
		{"DecisionUnderLaterVersion", old, []consent.Decision{agreedAllNow}, time.Hour, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.cat.ShouldPrompt(tc.history, t0.Add(tc.after), tc.opened))
			// The order of the history does not matter.
			rev := slices.Clone(tc.history)
			slices.Reverse(rev)
			assert.Equal(t, tc.want, tc.cat.ShouldPrompt(rev, t0.Add(tc.after), tc.opened))
		})
	}
}

func TestDecision_Refused(t *testing.T) {
	cat := current(t)
	all, err := consent.Agree(cat, consent.SurfaceWebBanner, []consent.PurposeID{"preferences", "analytics"}, consent.LangEn, t0)
	require.NoError(t, err)
	assert.False(t, all.Refused())
	some, err := consent.Agree(cat, consent.SurfaceWebBanner, []consent.PurposeID{"preferences"}, consent.LangEn, t0)
	require.NoError(t, err)
	assert.True(t, some.Refused())
}
