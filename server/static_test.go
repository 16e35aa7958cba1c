package server

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kaiconn/consent/web"
	"github.com/kaiconn/consent/web/pipeline"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// staticFS is web/static, as the server serves it.
func staticFS(t *testing.T) fs.FS {
	t.Helper()
	static, err := fs.Sub(web.Static, "static")
	require.NoError(t, err)
	return static
}

// A revalidation of an unchanged asset costs a 304, not the file again.
func TestStaticRevalidation(t *testing.T) {
	h := newTestServer(t).Handler()
	tags := map[string]string{}
	for _, name := range []string{"app.css", "boot.js", "embed.js", "icon.svg"} {
		t.Run(name, func(t *testing.T) {
			data, err := pipeline.Build(staticFS(t), name)
			require.NoError(t, err)
			sum := sha256.Sum256(data)
			for _, enc := range []string{"", "gzip"} {
				first := getPage(t, h, "/static/"+name, "Accept-Encoding", enc)
				require.Equal(t, http.StatusOK, first.Code)
				tag := first.Header().Get("ETag")
				assert.Equal(t, `W/"`+hex.EncodeToString(sum[:12])+`"`, tag, "the tag is the content's hash")
				tags[name] = tag

				again := getPage(t, h, "/static/"+name, "Accept-Encoding", enc, "If-None-Match", tag)
				assert.Equal(t, http.StatusNotModified, again.Code, "Accept-Encoding %q", enc)
				assert.Empty(t, again.Body.Bytes())

				stale := getPage(t, h, "/static/"+name, "Accept-Encoding", enc, "If-None-Match", `W/"0000"`)
				assert.Equal(t, http.StatusOK, stale.Code, "a changed file is sent again")
				assert.NotEmpty(t, stale.Body.Bytes())
			}
		})
	}
	assert.NotEqual(t, tags["app.css"], tags["boot.js"], "different files, different tags")
}

// Every built file varies on Accept-Encoding, and says so exactly once,
// whichever of serveBuilt (precompressed siblings) or the compression
// middleware (text) picked the encoding.
func TestBuiltFilesVaryOnce(t *testing.T) {
	webDir := t.TempDir()
	for name, body := range map[string]string{
		"app.wasm":     "\x00asm raw",
		"app.wasm.br":  "br bytes",
		"app.wasm.gz":  "gz bytes",
		"wasm_exec.js": strings.Repeat("// Go's wasm loader\n", 200),
	} {
		require.NoError(t, os.WriteFile(filepath.Join(webDir, name), []byte(body), 0o644))
	}
	// The files were written in map order: give them one time, or a
	// compressed copy written before app.wasm counts as stale.
	at := time.Now().Add(-time.Minute)
	for _, name := range []string{"app.wasm", "app.wasm.br", "app.wasm.gz", "wasm_exec.js"} {
		require.NoError(t, os.Chtimes(filepath.Join(webDir, name), at, at))
	}
	s, err := openData(Config{DataDir: t.TempDir(), WebDir: webDir}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	for _, tc := range []struct {
		name, path, accept, encoding string
	}{
		{"WasmBrotli", "/app.wasm", "gzip, deflate, br", "br"},
		{"WasmGzip", "/app.wasm", "gzip", "gzip"},
		{"WasmIdentity", "/app.wasm", "", ""},
		{"WasmExecGzip", "/wasm_exec.js", "gzip, deflate, br", "gzip"},
		{"WasmExecDeflate", "/wasm_exec.js", "deflate", "deflate"},
		{"WasmExecIdentity", "/wasm_exec.js", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := getPage(t, s.Handler(), tc.path, "Accept-Encoding", tc.accept)
			require.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, tc.encoding, w.Header().Get("Content-Encoding"))
			var names []string
			for _, v := range w.Header().Values("Vary") {
				for _, n := range strings.Split(v, ",") {
					names = append(names, strings.ToLower(strings.TrimSpace(n)))
				}
			}
			assert.Equal(t, []string{"accept-encoding"}, names, "Vary: %q", w.Header().Values("Vary"))
		})
	}
}

func TestMergeVary(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"None", nil, nil},
		{"One", []string{"Accept-Encoding"}, []string{"Accept-Encoding"}},
		{"Repeated", []string{"Accept-Encoding", "accept-encoding"}, []string{"Accept-Encoding"}},
		{"Lists", []string{"Cookie, Origin", "Origin", "Accept-Encoding"}, []string{"Cookie, Origin, Accept-Encoding"}},
		{"RepeatInOneValue", []string{"Cookie, Cookie"}, []string{"Cookie"}},
		{"Star", []string{"Cookie", "*"}, []string{"*"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tc.in {
				h.Add("Vary", v)
			}
			mergeVary(h)
			assert.Equal(t, tc.want, h.Values("Vary"))
		})
	}
}
