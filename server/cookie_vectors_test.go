package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/banner"
	"github.com/kaiconn/consent/consent"
)

// The kc_consent values of testdata/scripts/consent-cookie.json read as
// the vectors say, here and in embed.js (web/static/parts/consent-cookie.js,
// tested by node:test in e2e/js): the banner's script and the server agree
// on the format; only the server checks the mac.
func TestConsentCookieVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "scripts", "consent-cookie.json"))
	require.NoError(t, err)
	var v struct {
		Key   string `json:"key"`
		Cases []struct {
			Name, Value, Version, ReceiptID string
			Format, MAC                     bool
			Granted                         []consent.PurposeID
			At                              int64
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	require.NotEmpty(t, v.Cases)
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			got, err := banner.ParseCookie(c.Value, cookieKeys{current: []byte(v.Key)})
			if !c.Format || !c.MAC {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.Version, got.PolicyVersion)
			assert.Equal(t, c.Granted, got.Granted)
			assert.Equal(t, c.At, got.At.Unix())
			assert.Equal(t, c.ReceiptID, got.ReceiptID)
			assert.Equal(t, c.Value, got.Encode(cookieKeys{current: []byte(v.Key)}), "the server writes it so")
		})
	}
}
