package e2e

import (
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
)

// The browser tests run the server on the shipped texts, and read what the
// pages must show from the catalogue the server asks about (the newest
// shipped, catalogue.Latest), never from lists typed here: a release that
// adds a purpose or an SDK changes no test. Tests of a later version use
// localestest's fixed versions (laterPolicy).

// served is the purpose catalogue of the version the test server asks
// about.
var served = func() *consent.Catalogue {
	c, err := consent.LoadCatalogue(catalogues.FS, catalogues.Latest)
	if err != nil {
		panic(err)
	}
	return c
}()

// appOptional lists the optional app purposes the gate asks about, in the
// catalogue's order.
func appOptional() []string {
	var ids []string
	for _, p := range served.Purposes(consent.SurfaceFirstLaunch) {
		if !p.Required {
			ids = append(ids, string(p.ID))
		}
	}
	return ids
}

// appPurposes is the purposes of a bridge message in which the ones named
// are on: the required processing is always on, every other purpose off.
func appPurposes(on ...string) map[string]bool {
	m := map[string]bool{}
	for _, p := range served.Purposes(consent.SurfaceFirstLaunch) {
		m[string(p.ID)] = p.Required || slices.Contains(on, string(p.ID))
	}
	return m
}

// appOff lists the optional app purposes other than the ones named.
func appOff(on ...string) []string {
	return slices.DeleteFunc(appOptional(), func(id string) bool { return slices.Contains(on, id) })
}

// TestServedCatalogue checks the helpers against the catalogue they read,
// so a browser test's expectation is what the catalogue says.
func TestServedCatalogue(t *testing.T) {
	req, ok := served.Required(consent.SurfaceFirstLaunch)
	require.True(t, ok)
	m := appPurposes("location")
	require.True(t, m[string(req.ID)], "the required processing is on")
	require.True(t, m["location"])
	require.Len(t, slices.Collect(maps.Keys(m)), len(appOptional())+1)
	require.NotContains(t, appOff("location"), "location")
	require.Len(t, appOff("location"), len(appOptional())-1)
}
