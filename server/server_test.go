package server

import (
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kaiconn/consent/locales/localestest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// newTestServer opens the real program with a fresh data directory, not
// listening: tests call its Handler.
func newTestServer(t *testing.T) *Server {
	t.Helper()
	return openMem(t, Config{WebDir: t.TempDir(),
		CatalogueFS: localestest.Catalogues(t, localestest.Base), PolicyFS: localestest.Policy(t, localestest.Base)}, slog.New(slog.DiscardHandler))
}

func getPage(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// assetHash is the content hash in an asset's URL (docs/assets.md).
var assetHash = regexp.MustCompile(`\.[0-9a-f]{12}\.(css|js|svg|wasm|png|woff2)\b`)

// golden compares got with testdata/server/name, or rewrites it with -update.
// Asset URLs are compared without their content hash: a page is the same
// page when a stylesheet it links changes, and the hashes have tests of
// their own.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	got = assetHash.ReplaceAll(got, []byte(".HASH.$1"))
	path := filepath.Join("..", "testdata", "server", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./server -update to create %s", path)
	require.Equal(t, string(want), string(got), "%s differs; if intended, run go test ./server -update", name)
}

// Every message placeholder is filled: a "{{" on a page is a message given
// the wrong data.
func TestPagesFillEveryPlaceholder(t *testing.T) {
	h := newTestServer(t).Handler()
	for _, l := range []string{"zh-Hans", "en"} {
		for _, path := range []string{"/privacy", "/privacy?view=bilingual&q=SDK", "/consent", "/settings/privacy", "/banner", "/banner?layer=2", "/demo"} {
			target := path + map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + "lang=" + l
			t.Run(target, func(t *testing.T) {
				w := getPage(t, h, target)
				require.Equal(t, http.StatusOK, w.Code)
				// The wasm's state carries its messages unfilled, to fill
				// them itself; what the page shows must be filled.
				page, _, _ := strings.Cut(w.Body.String(), `<script id="kc-state"`)
				assert.NotContains(t, page, "{{")
			})
		}
	}
}

// Browsers open connections speculatively and may never use them; closing
// the server must not fail on them.
func TestCloseWithAnUnusedConnection(t *testing.T) {
	s, err := openData(Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), WebDir: t.TempDir()}, nil)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL(), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	assert.NoError(t, s.Close())
}
