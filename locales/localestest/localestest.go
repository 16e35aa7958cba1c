//go:build !wasm

package localestest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	policydata "github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/policy"
)

const (
	// Base is the version behaviour tests are written against: the policy
	// updated October 2022, the first published one. Published texts are
	// never edited, so a test that holds to it keeps passing when a new
	// version ships.
	Base = "2022-10"
	// Later is the fixture's later version (testdata/policy/2026-12,
	// testdata/catalogue/2026-12.toml): Base, except that location also
	// collects WLAN scan results and a new purpose, sensors (Sensors
	// Analytics SDK), is asked, with its row in the policy's SDK table.
	// Tests of re-asking use it; it is never shipped.
	Later = "2026-12"
)

// Policy returns the policy texts of versions, "<version>/<lang>.md", each
// from testdata when the fixture has it and from locales/policy otherwise.
// The fixture wins so that Later means the fixture even where a copy of it
// has been shipped (docs/policy-versions.md rehearses exactly that).
func Policy(t testing.TB, versions ...string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	fixture := os.DirFS(filepath.Join(testdata(t), "policy"))
	for _, v := range versions {
		src := fs.FS(policydata.FS)
		if _, err := fs.Stat(fixture, v); err == nil {
			src = fixture
		}
		files, err := fs.Glob(src, v+"/*.md")
		require.NoError(t, err)
		require.NotEmpty(t, files, "no policy text of version %s, shipped or in testdata", v)
		for _, f := range files {
			m[f] = readFile(t, src, f)
		}
	}
	return m
}

// Catalogues returns the purpose catalogues of versions, "<version>.toml",
// each from testdata when the fixture has it and from locales/catalogue
// otherwise.
func Catalogues(t testing.TB, versions ...string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	fixture := os.DirFS(filepath.Join(testdata(t), "catalogue"))
	for _, v := range versions {
		name := v + ".toml"
		src := fs.FS(catalogues.FS)
		if _, err := fs.Stat(fixture, name); err == nil {
			src = fixture
		}
		m[name] = readFile(t, src, name)
	}
	return m
}

// Library loads the policy texts of versions.
func Library(t testing.TB, versions ...string) *policy.Library {
	t.Helper()
	l, err := policy.Load(Policy(t, versions...))
	require.NoError(t, err)
	return l
}

// Version loads one policy version's texts.
func Version(t testing.TB, version string) *policy.Version {
	t.Helper()
	v, ok := Library(t, version).Version(version)
	require.True(t, ok)
	return v
}

// Catalogue loads one version's purpose catalogue.
func Catalogue(t testing.TB, version string) *consent.Catalogue {
	t.Helper()
	c, err := consent.LoadCatalogue(Catalogues(t, version), version)
	require.NoError(t, err)
	return c
}

// Shipped lists the versions under locales/policy, oldest first: what a
// release serves. Only tests of shipped facts use it.
func Shipped(t testing.TB) []string {
	t.Helper()
	dirs, err := fs.ReadDir(policydata.FS, ".")
	require.NoError(t, err)
	var out []string
	for _, d := range dirs {
		if d.IsDir() {
			out = append(out, d.Name())
		}
	}
	slices.Sort(out)
	require.NotEmpty(t, out, "no policy version shipped")
	return out
}

// Newest is the newest shipped version: the one the server asks about.
func Newest(t testing.TB) string {
	t.Helper()
	s := Shipped(t)
	return s[len(s)-1]
}

func readFile(t testing.TB, fsys fs.FS, name string) *fstest.MapFile {
	t.Helper()
	b, err := fs.ReadFile(fsys, name)
	require.NoError(t, err)
	return &fstest.MapFile{Data: b}
}

// testdata is the module's testdata directory, found from the test's
// working directory (its package's directory) upwards, so that the files
// are read as they are on disk, without a copy embedded in every test
// binary.
func testdata(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "testdata")
		} else if !errors.Is(err, fs.ErrNotExist) {
			require.NoError(t, err)
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test's directory")
		dir = parent
	}
}
