package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/web"
	"github.com/kaiconn/consent/web/pipeline"
)

// staticFS is web/static, as the assets serve it.
func staticFS(t *testing.T) fs.FS {
	t.Helper()
	static, err := fs.Sub(web.Static, "static")
	require.NoError(t, err)
	return static
}

// serve mounts set alone on a router and answers one GET.
func serve(t *testing.T, set *Set, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := chi.NewRouter()
	set.Mount(r)
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

// A script is served as built (web/pipeline): joined with the parts it
// names and minified, the same bytes at its plain URL as at its hashed one;
// a part is never served alone.
func TestStaticServesBuiltScripts(t *testing.T) {
	set := New(t.TempDir())
	built, err := pipeline.Build(staticFS(t), "bridge.js")
	require.NoError(t, err)
	hashed := serve(t, set, set.URL("bridge.js"), "Accept-Encoding", "")
	plain := serve(t, set, "/static/bridge.js", "Accept-Encoding", "")
	require.Equal(t, http.StatusOK, hashed.Code)
	require.Equal(t, http.StatusOK, plain.Code)
	assert.Equal(t, string(built), hashed.Body.String())
	assert.Equal(t, string(built), plain.Body.String(), "the plain URL serves the same build")
	assert.Contains(t, plain.Body.String(), `"data-bridge"`, "with the host part inside")
	assert.Equal(t, "text/javascript; charset=utf-8", plain.Header().Get("Content-Type"))
	for _, path := range []string{"/static/parts/host.js", "/static/parts/", "/static/", "/static/app.wasm"} {
		assert.Equal(t, http.StatusNotFound, serve(t, set, path).Code, path)
	}
}

// An asset's URL carries the first twelve hex digits of the SHA-256 of its
// bytes as served: the built file for web/static, the uncompressed file for
// the wasm; a build output that is not there has no hashed URL.
func TestURLIsTheHashOfTheBytes(t *testing.T) {
	webDir := t.TempDir()
	wasm := []byte("\x00asm this build")
	require.NoError(t, os.WriteFile(filepath.Join(webDir, "app.wasm"), wasm, 0o644))
	css, err := pipeline.Build(staticFS(t), "app.css")
	require.NoError(t, err)
	hash := func(b []byte) string {
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])[:12]
	}
	set := New(webDir)
	for _, tt := range []struct{ name, asset, want string }{
		{"Stylesheet", "app.css", "/static/app." + hash(css) + ".css"},
		{"Wasm", "app.wasm", "/app." + hash(wasm) + ".wasm"},
		{"NotBuilt", "wasm_exec.js", ""},
		{"Unknown", "nothing.css", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, set.URL(tt.asset))
		})
	}
}
