package consent_test

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/locales/catalogue"
)

// current loads the real, embedded catalogue of the policy in force.
func current(t *testing.T) *consent.Catalogue {
	t.Helper()
	cat, err := consent.LoadCatalogue(catalogue.FS, catalogue.Latest)
	require.NoError(t, err)
	return cat
}

// later loads the fictitious later policy version of testdata/catalogue.
func later(t *testing.T) *consent.Catalogue {
	t.Helper()
	cat, err := consent.LoadCatalogue(os.DirFS("../testdata/catalogue"), "2026-12")
	require.NoError(t, err)
	return cat
}

// t0 is an arbitrary instant, in a zone other than UTC so that the tests
// see the normalisation to UTC.
var t0 = time.Date(2025, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// appOptional are the optional app purposes of the 2022-10 policy.
var appOptional = []consent.PurposeID{"push", "wechat-share", "location", "crash-reports", "analytics"}

// Every surface has its audience, and the surfaces of one audience show
// the same purposes: the one mapping the notices, the receipts' chain
// rules and the console's counts ask.
func TestSurfaceAudience(t *testing.T) {
	for _, tt := range []struct {
		surface consent.Surface
		want    string
	}{
		{consent.SurfaceFirstLaunch, consent.AudienceApp},
		{consent.SurfaceSettings, consent.AudienceApp},
		{consent.SurfaceWebBanner, consent.AudienceWeb},
	} {
		t.Run(string(tt.surface), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.surface.Audience())
		})
	}
	assert.Len(t, consent.Surfaces, 3, "a new surface needs its audience in the table above")
}
