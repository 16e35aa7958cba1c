package consent_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
)

func TestCatalogue_ConsentModeSignals(t *testing.T) {
	cat := current(t)
	denied := map[string]string{"ad_storage": "denied", "analytics_storage": "denied", "ad_user_data": "denied", "ad_personalization": "denied"}
	withAnalytics := map[string]string{"ad_storage": "denied", "analytics_storage": "granted", "ad_user_data": "denied", "ad_personalization": "denied"}
	for _, tc := range []struct {
		name    string
		surface consent.Surface
		ticked  []consent.PurposeID
		want    map[string]string
	}{
		{"Analytics", consent.SurfaceWebBanner, []consent.PurposeID{"analytics"}, withAnalytics},
		{"All", consent.SurfaceWebBanner, []consent.PurposeID{"analytics", "preferences"}, withAnalytics},
		{"PreferencesOnly", consent.SurfaceWebBanner, []consent.PurposeID{"preferences"}, denied},
		{"NecessaryOnly", consent.SurfaceWebBanner, nil, denied},
		{"AppDecision", consent.SurfaceFirstLaunch, appOptional, denied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := consent.Agree(cat, tc.surface, tc.ticked, consent.LangEn, t0)
			require.NoError(t, err)
			assert.Equal(t, tc.want, cat.ConsentModeSignals(d))
		})
	}
	t.Run("Withdrawn", func(t *testing.T) {
		d, err := consent.Agree(cat, consent.SurfaceWebBanner, []consent.PurposeID{"analytics"}, consent.LangEn, t0)
		require.NoError(t, err)
		w, err := consent.Withdraw(cat, d, consent.SurfaceWebBanner, consent.LangEn, t0, "analytics")
		require.NoError(t, err)
		assert.Equal(t, denied, cat.ConsentModeSignals(w))
	})
}
