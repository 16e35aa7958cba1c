package documents

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/views"
)

// A purpose of a later policy version that the person's decision predates
// was never asked: not refused, but not granted either.
func TestPermissionStateOfAPurposeNewerThanTheDecision(t *testing.T) {
	old := localestest.Catalogue(t, localestest.Base)
	docs := New(Deps{Catalogues: map[string]*consent.Catalogue{
		localestest.Base:  old,
		localestest.Later: localestest.Catalogue(t, localestest.Later),
	}})
	d, err := consent.Agree(old, consent.SurfaceFirstLaunch, []consent.PurposeID{"location"}, "en", time.Unix(1732867200, 0))
	require.NoError(t, err)
	history := []consent.Decision{d}
	for _, tt := range []struct {
		name    string
		history []consent.Decision
		purpose consent.PurposeID
		want    string
	}{
		{"NewerThanTheDecision", history, "sensors", views.PermissionNotAsked},
		{"Granted", history, "location", views.PermissionAsk},
		{"Refused", history, "push", views.PermissionRefused},
		{"NoDecision", nil, "push", views.PermissionNotAsked},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, docs.permissionState(tt.history, tt.purpose))
		})
	}
}
