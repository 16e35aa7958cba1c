package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Where the screenshots go. make screenshots writes every picture to the
// gallery, tmp/screenshots (outside git: /tmp/ is ignored), with its index;
// the few pictures the README and docs/*.md show are written to
// docs/screenshots too, which keeps nothing else (hygiene
// TestScreenshotsAreTheDocsPictures). Which pictures those are is read
// from the docs' own links, so that a page that starts showing another
// picture needs no change here.

// galleryDir returns the gallery's directory, made when missing.
func galleryDir(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	require.NoError(t, err)
	dir := filepath.Join(root, "tmp", "screenshots")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

var docsPictures = sync.OnceValues(func() (map[string]bool, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		return nil, err
	}
	shown := map[string]bool{}
	link := regexp.MustCompile(`screenshots/([A-Za-z0-9._-]+\.png)`)
	for _, page := range append(pages, filepath.Join(root, "README.md")) {
		src, err := os.ReadFile(page)
		if err != nil {
			return nil, err
		}
		for _, m := range link.FindAllStringSubmatch(string(src), -1) {
			shown[m[1]] = true
		}
	}
	return shown, nil
})

// writeShot writes a picture to the gallery and, when the docs show it, to
// docs/screenshots.
func writeShot(t *testing.T, name string, png []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(galleryDir(t), name), png, 0o644))
	shown, err := docsPictures()
	require.NoError(t, err)
	if shown[name] {
		root, err := moduleRoot()
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(root, "docs", "screenshots", name), png, 0o644))
	}
}
