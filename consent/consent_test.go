package consent_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/locales/localestest"
)

// current loads the catalogue of the base version (localestest.Base), the
// published one the tests are written against.
func current(t *testing.T) *consent.Catalogue {
	t.Helper()
	return localestest.Catalogue(t, localestest.Base)
}

// later loads the fictitious later policy version of testdata/catalogue.
func later(t *testing.T) *consent.Catalogue {
	t.Helper()
	return localestest.Catalogue(t, localestest.Later)
}

// t0 is an arbitrary instant, in a zone other than UTC so that the tests
// see the normalisation to UTC.
var t0 = time.Date(2025, 3, 1, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))

// appOptional are the optional app purposes of the base version.
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
