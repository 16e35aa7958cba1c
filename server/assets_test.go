package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/web/pipeline"
)

// A page names every asset at a content-hashed URL, which answers the same
// bytes for good; the plain URLs keep working with a short cache.
func TestContentHashedAssets(t *testing.T) {
	webDir := t.TempDir()
	wasm := []byte("\x00asm this build")
	require.NoError(t, os.WriteFile(filepath.Join(webDir, "app.wasm"), wasm, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(webDir, "app.wasm.br"), []byte("br of this build"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(webDir, "wasm_exec.js"), []byte("// loader"), 0o644))
	at := time.Now().Add(-time.Minute)
	for _, n := range []string{"app.wasm", "app.wasm.br", "wasm_exec.js"} {
		require.NoError(t, os.Chtimes(filepath.Join(webDir, n), at, at))
	}
	s, err := openData(Config{DataDir: t.TempDir(), WebDir: webDir}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	h := s.Handler()

	// The settings load the wasm; the policy, its own script only.
	page := getPage(t, h, "/settings/privacy?lang=en").Body.String() + getPage(t, h, "/privacy?lang=en").Body.String()
	named := regexp.MustCompile(`(?:href|src|data-wasm|data-wasm-exec)="(/[^"]*\.(?:css|js|svg|wasm))"`).FindAllStringSubmatch(page, -1)
	require.NotEmpty(t, named)
	hashedURL := regexp.MustCompile(`^/(static/)?[a-z_-]+\.[0-9a-f]{12}\.(css|js|svg|wasm)$`)
	urls := map[string]bool{}
	for _, m := range named {
		assert.Regexp(t, hashedURL, m[1], "the page names a hashed URL")
		urls[m[1]] = true
	}
	for _, want := range []string{"/static/app.", "/static/boot.", "/app.", "/wasm_exec.", "/static/reader."} {
		found := false
		for u := range urls {
			found = found || strings.HasPrefix(u, want)
		}
		assert.True(t, found, "the pages name %s…", want)
	}

	t.Run("Static", func(t *testing.T) {
		raw, err := pipeline.Build(staticFS(t), "app.css")
		require.NoError(t, err)
		u := s.assets.URL("app.css")
		for _, tc := range []struct {
			accept, encoding string
			decode           func([]byte) []byte
		}{
			{"gzip, deflate, br", "br", func(b []byte) []byte { d, _ := io.ReadAll(brotli.NewReader(bytes.NewReader(b))); return d }},
			{"gzip", "gzip", func(b []byte) []byte { r, _ := gzip.NewReader(bytes.NewReader(b)); d, _ := io.ReadAll(r); return d }},
			{"", "", func(b []byte) []byte { return b }},
		} {
			t.Run("Accept-Encoding:"+tc.accept, func(t *testing.T) {
				w := getPage(t, h, u, "Accept-Encoding", tc.accept)
				require.Equal(t, http.StatusOK, w.Code)
				assert.Equal(t, "public, max-age=31536000, immutable", w.Header().Get("Cache-Control"))
				assert.Equal(t, tc.encoding, w.Header().Get("Content-Encoding"))
				assert.Equal(t, []string{"Accept-Encoding"}, w.Header().Values("Vary"))
				assert.Equal(t, "text/css; charset=utf-8", w.Header().Get("Content-Type"))
				assert.Equal(t, raw, tc.decode(w.Body.Bytes()), "the same bytes, however encoded")
			})
		}
	})

	t.Run("Wasm", func(t *testing.T) {
		u := s.assets.URL("app.wasm")
		w := getPage(t, h, u, "Accept-Encoding", "br")
		require.Equal(t, http.StatusOK, w.Code)
		assert.Equal(t, "public, max-age=31536000, immutable", w.Header().Get("Cache-Control"))
		assert.Equal(t, "br", w.Header().Get("Content-Encoding"))
		assert.Equal(t, "br of this build", w.Body.String())
		assert.Equal(t, []string{"Accept-Encoding"}, w.Header().Values("Vary"))
		sum := sha256.Sum256(wasm)
		assert.Equal(t, "/app."+hex.EncodeToString(sum[:])[:12]+".wasm", u, "the hash is of the wasm itself")
	})

	t.Run("PlainURLsKeepWorking", func(t *testing.T) {
		for _, tc := range []struct{ path, cache string }{
			{"/static/app.css", "public, max-age=300, must-revalidate"},
			{"/app.wasm", "no-cache"},
			{"/wasm_exec.js", "no-cache"},
		} {
			w := getPage(t, h, tc.path)
			assert.Equal(t, http.StatusOK, w.Code, tc.path)
			assert.Equal(t, tc.cache, w.Header().Get("Cache-Control"), tc.path)
		}
		embed := getPage(t, h, "/embed.js")
		assert.Equal(t, http.StatusOK, embed.Code, "/embed.js keeps its URL")
		assert.NotContains(t, embed.Header().Get("Cache-Control"), "immutable")
	})

	t.Run("UnknownHash", func(t *testing.T) {
		assert.Equal(t, http.StatusNotFound, getPage(t, h, "/static/app.000000000000.css").Code)
		assert.Equal(t, http.StatusNotFound, getPage(t, h, "/app.000000000000.wasm").Code)
	})
}
