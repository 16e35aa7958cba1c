package server

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/consent"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/locales/localestest"
)

// The server as released, on the texts it embeds, asks about the newest
// shipped version, and a person who agreed to everything under an earlier
// shipped version is asked again for what changed since. The other server
// tests run on localestest's fixed versions; this one follows locales/, so
// that a release rehearsed with make policy-version (docs/policy-versions.md)
// proves its re-ask here.
func TestShippedVersionsAreAsked(t *testing.T) {
	s := testServer(t, func(c *Config) { c.CatalogueFS, c.PolicyFS = nil, nil })
	shipped := localestest.Shipped(t)
	newest := shipped[len(shipped)-1]
	require.Equal(t, catalogues.Latest, newest, "catalogue.Latest is the newest shipped version: run make policy-version")

	t.Run("FirstLaunchAsksTheNewest", func(t *testing.T) {
		v := gateState(t, bodyOf(t, do(t, s, req{method: "GET", target: "/consent?lang=en"})))
		assert.Equal(t, components.GateAsk, v.Mode)
		assert.Equal(t, newest, v.PolicyVersion)
	})
	newCat := s.catalogues[newest]
	for _, old := range shipped[:len(shipped)-1] {
		t.Run("ReaskAfter"+old, func(t *testing.T) {
			oldCat := s.catalogues[old]
			require.NotNil(t, oldCat)
			at := time.Now().Add(-30 * 24 * time.Hour)
			var optional []consent.PurposeID
			purposes := map[string]bool{}
			for _, p := range oldCat.Purposes(consent.SurfaceFirstLaunch) {
				purposes[string(p.ID)] = true
				if !p.Required {
					optional = append(optional, p.ID)
				}
			}
			accepted, err := consent.Agree(oldCat, consent.SurfaceFirstLaunch, optional, consent.LangEn, at)
			require.NoError(t, err)
			var want []string
			for _, id := range consent.Reask(&accepted, oldCat, newCat) {
				want = append(want, string(id))
			}
			host := hostStateParam(t, map[string]any{
				"v": 2, "type": "consent", "decision": "agreed", "policyVersion": old, "receiptId": uuid.NewString(),
				"purposes": purposes, "at": at.UTC().Format(components.BridgeTime),
			})
			v := gateState(t, bodyOf(t, do(t, s, req{method: "GET", target: "/consent?lang=en&state=" + host})))
			if len(want) == 0 {
				assert.NotEqual(t, components.GateReask, v.Mode, "nothing changed, nothing to re-ask")
				return
			}
			assert.Equal(t, components.GateReask, v.Mode)
			assert.Equal(t, newest, v.PolicyVersion)
			assert.Equal(t, old, v.AcceptedVersion)
			assert.Equal(t, want, v.Boxes, "the purposes new or changed since %s, and only those", old)
		})
	}
}
