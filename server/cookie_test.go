package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/appconsent"
	"github.com/kaiconn/consent/banner"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/localestest"
)

// The consent cookies are MAC'd with a key derived for each (credential's
// CookieKey); a value the server wrote before, MAC'd with the raw cookie
// secret, is still read, so that nobody is asked again for a decision
// their cookie holds; a decision made now is written under the new key.
func TestConsentCookieKeys(t *testing.T) {
	s := newBannerServer(t)
	c := banner.Cookie{PolicyVersion: localestest.Base, Granted: []consent.PurposeID{"necessary"}, At: time.Unix(1732867200, 0).UTC(), ReceiptID: "6f1c2a4e-0b7d-4c1e-9a3f-5d8e7b6c4a21"}
	legacy := c.Encode(cookieKeys{current: s.cookieKey})
	current := c.Encode(s.newCookieKeys(banner.CookieName))
	require.NotEqual(t, legacy, current, "the new MAC is not the raw key's")
	for _, tt := range []struct {
		name  string
		value string
		ok    bool
	}{
		{"OKCurrent", current, true},
		{"OKLegacyStillRead", legacy, true},
		{"ErrKeyOfTheAppCookie", c.Encode(s.newCookieKeys(appconsent.CookieName)), false},
		{"ErrKeyOfASubjectCookieSecret", c.Encode(cookieKeys{current: []byte("0123456789abcdef0123456789abcdef")}), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := banner.ParseCookie(tt.value, s.newCookieKeys(banner.CookieName))
			if !tt.ok {
				assert.Equal(t, errs.Invalid, errs.Code(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.ReceiptID, got.ReceiptID)
		})
	}
	t.Run("OKAppCookieLegacyStillRead", func(t *testing.T) {
		d, err := consent.Agree(s.catalogues[localestest.Base], consent.SurfaceFirstLaunch, nil, consent.LangEn, time.Now().Add(-time.Minute))
		require.NoError(t, err)
		h := []appconsent.Decision{{Decision: d, ReceiptID: c.ReceiptID}}
		for name, key := range map[string]cookieKeys{"current": s.newCookieKeys(appconsent.CookieName), "legacy": {current: s.cookieKey}} {
			got, err := s.app.DecodeCookie(appconsent.EncodeCookie(key, h), time.Now())
			require.NoError(t, err, name)
			assert.Equal(t, c.ReceiptID, got[0].ReceiptID, name)
		}
	})
}
