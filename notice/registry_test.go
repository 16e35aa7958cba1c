package notice_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/locales/notices"
	"github.com/kaiconn/consent/notice"
)

var update = flag.Bool("update", false, "add missing notices to the registries and rewrite golden files")

// registry is a notice registry and the catalogues whose notices it must
// hold. The test fixture catalogue (a fictitious later policy version) has
// its own registry under testdata, so that the registry kaiconn-verify
// ships names no text of a policy that was never in force.
type registry struct {
	name       string
	catalogues string // directory of <version>.toml
	dir        string // directory of <hash>.json
}

var registries = []registry{
	{"locales", filepath.Join("..", "locales", "catalogue"), filepath.Join("..", "locales", "notices")},
	{"testdata", filepath.Join("..", "testdata", "catalogue"), filepath.Join("..", "testdata", "notices")},
}

func loadCatalogues(t *testing.T, dir string) []*consent.Catalogue {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.toml"))
	require.NoError(t, err)
	require.NotEmpty(t, names, "no catalogue in %s", dir)
	var cats []*consent.Catalogue
	for _, name := range names {
		cat, err := consent.LoadCatalogue(os.DirFS(dir), strings.TrimSuffix(filepath.Base(name), ".toml"))
		require.NoError(t, err)
		cats = append(cats, cat)
	}
	return cats
}

// pretty is how a notice is written to a registry: indented for people,
// with "<" and "&" left as they are.
func pretty(t *testing.T, n notice.Notice) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	require.NoError(t, enc.Encode(n))
	return buf.Bytes()
}

// TestRegistryHoldsEveryNotice fails when a catalogue produces a notice the
// registry lacks: a receipt naming it could not be checked offline. With
// -update it adds the missing files; it never removes one.
func TestRegistryHoldsEveryNotice(t *testing.T) {
	for _, reg := range registries {
		t.Run(reg.name, func(t *testing.T) {
			r := notice.NewRegistry(os.DirFS(reg.dir))
			for _, cat := range loadCatalogues(t, reg.catalogues) {
				for _, n := range notice.All(cat) {
					ref := notice.Ref(n)
					_, err := r.Lookup(ref)
					if errs.Code(err) == errs.NotFound && *update {
						require.NoError(t, os.WriteFile(filepath.Join(reg.dir, ref+".json"), pretty(t, n), 0o644))
						_, err = r.Lookup(ref)
					}
					assert.NoError(t, err, "catalogue %s: %s notice %s is missing from %s: run go test ./notice -update and commit the new files",
						cat.Version(), n.NoticeKind(), ref, reg.dir)
				}
			}
		})
	}
}

// TestRegistryFilesAreTheirHash checks every file of each registry, the
// embedded one included: its name is the hash of its canonical content, and
// it is a notice of a known kind.
func TestRegistryFilesAreTheirHash(t *testing.T) {
	for _, reg := range registries {
		t.Run(reg.name, func(t *testing.T) {
			require.NoError(t, notice.NewRegistry(os.DirFS(reg.dir)).Check())
		})
	}
	t.Run("embedded", func(t *testing.T) {
		r := notice.NewRegistry(notices.FS)
		require.NoError(t, r.Check())
		refs, err := r.Refs()
		require.NoError(t, err)
		onDisk, err := filepath.Glob(filepath.Join("..", "locales", "notices", "*.json"))
		require.NoError(t, err)
		assert.Len(t, refs, len(onDisk))
	})
}

func TestRegistry(t *testing.T) {
	cat, err := consent.LoadCatalogue(catalogues.FS, localestest.Base)
	require.NoError(t, err)
	push, ok := cat.Purpose(consent.SurfaceFirstLaunch, "push")
	require.True(t, ok)
	doc := notice.NewPurpose(cat.Version(), push, consent.LangEn)
	ref := notice.Ref(doc)
	withdrawal := notice.NewWithdrawal(consent.LangEn)
	wref := notice.Ref(withdrawal)
	shown := notice.NewShown(cat, consent.SurfaceFirstLaunch, consent.LangEn)
	sref := notice.Ref(shown)
	files := fstest.MapFS{
		ref + ".json":  {Data: pretty(t, doc)},
		wref + ".json": {Data: pretty(t, withdrawal)},
		sref + ".json": {Data: pretty(t, shown)},
	}
	r := notice.NewRegistry(files)

	t.Run("OKPurpose", func(t *testing.T) {
		got, err := r.Purpose(ref)
		require.NoError(t, err)
		assert.Equal(t, doc, got)
	})
	t.Run("OKWithdrawal", func(t *testing.T) {
		got, err := r.Withdrawal(wref)
		require.NoError(t, err)
		assert.Equal(t, withdrawal, got)
	})
	t.Run("OKShown", func(t *testing.T) {
		got, err := r.Shown(sref)
		require.NoError(t, err)
		assert.Equal(t, shown, got)
		assert.Contains(t, got.Purposes, notice.ShownPurpose{ID: "push", Notice: ref})
	})
	t.Run("ErrPurposeWhereShownBelongs", func(t *testing.T) {
		_, err := r.Shown(ref)
		require.Error(t, err)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
		assert.Contains(t, errs.Message(err), `is a "purpose" notice, not a shown notice`)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := r.Purpose(notice.ControllerRef())
		assert.Equal(t, errs.NotFound, errs.Code(err))
	})
	t.Run("ErrNotARef", func(t *testing.T) {
		_, err := r.Lookup("../" + ref)
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})
	t.Run("ErrOtherKind", func(t *testing.T) {
		_, err := r.Purpose(wref)
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), `is a "withdrawal" notice, not a purpose notice`)
	})
	t.Run("ErrAlteredFile", func(t *testing.T) {
		altered := doc
		altered.Recipient = "Someone Else Ltd."
		bad := notice.NewRegistry(fstest.MapFS{ref + ".json": {Data: pretty(t, altered)}})
		_, err := bad.Purpose(ref)
		require.Error(t, err)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
		assert.Contains(t, errs.Message(err), "content has another hash")
		assert.Error(t, bad.Check())
	})
	t.Run("ErrStrayFile", func(t *testing.T) {
		stray := fstest.MapFS{ref + ".json": files[ref+".json"], "README.md": {Data: []byte("not a notice")}}
		require.NoError(t, notice.NewRegistry(stray).Check(), "files that are not .json are not notices")
		stray["push.json"] = files[ref+".json"]
		err := notice.NewRegistry(stray).Check()
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "push.json is not named <64 lowercase hex digits>.json")
	})
	t.Run("ErrUnknownMember", func(t *testing.T) {
		var m map[string]any
		require.NoError(t, json.Unmarshal(pretty(t, doc), &m))
		m["note"] = "extra"
		b, err := json.Marshal(m)
		require.NoError(t, err)
		canon := notice.HashBytes(mustJCS(t, b))
		_, err = notice.NewRegistry(fstest.MapFS{canon + ".json": {Data: b}}).Purpose(canon)
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "unknown field")
	})
}
