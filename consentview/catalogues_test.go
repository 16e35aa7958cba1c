//go:build !wasm

package consentview_test

import (
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/locales/catalogue"
)

var update = flag.Bool("update", false, "rewrite catalogues.json from locales/catalogue")

// loadShipped reads every catalogue of locales/catalogue as the server does.
func loadShipped(t *testing.T) *consentview.Catalogues {
	t.Helper()
	names, err := fs.Glob(catalogue.FS, "*.toml")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	c := &consentview.Catalogues{ByVersion: map[string]*consent.Catalogue{}}
	var versions []string
	for _, n := range names {
		v := strings.TrimSuffix(n, ".toml")
		cat, err := consent.LoadCatalogue(catalogue.FS, v)
		require.NoError(t, err)
		c.ByVersion[v] = cat
		versions = append(versions, v)
	}
	c.Latest = c.ByVersion[slices.Max(versions)]
	return c
}

// The wasm computes the views from catalogues.json; it must say what
// locales/catalogue says, or the wasm would ask about other texts than
// the server. go test ./consentview -update (make generate) rewrites it.
func TestShippedCatalogues(t *testing.T) {
	want := loadShipped(t)
	if *update {
		b, err := json.Marshal(want)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile("catalogues.json", append(b, '\n'), 0o644))
		return // the build embedded the old file; the next run compares
	}
	got, err := consentview.Shipped()
	require.NoError(t, err, "catalogues.json: run make generate")
	assert.Equal(t, want, got, "catalogues.json is stale: run make generate")
}
