package server

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaiconn/consent/datadir"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A data directory restored or copied with loose modes (a 0644 database
// and key files, a 0755 directory) is made private at start, and the
// server says which paths it changed.
func TestOpenTightensLooseModes(t *testing.T) {
	dir := withReceipt(t)
	keys := filepath.Join(dir, "keys")
	loose := map[string]os.FileMode{
		dir: 0o755, keys: 0o755,
		filepath.Join(dir, "kaiconn.db"):          0o644,
		filepath.Join(dir, datadir.CookieKeyFile): 0o644,
	}
	for _, f := range keyFiles(t, keys) {
		loose[f] = 0o640
	}
	for p, m := range loose {
		require.NoError(t, os.Chmod(p, m))
	}
	var logs bytes.Buffer
	s, err := openData(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })

	for p := range loose {
		fi, err := os.Stat(p)
		require.NoError(t, err)
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		assert.Equal(t, want, fi.Mode().Perm(), p)
		assert.Contains(t, logs.String(), "path="+p+" ", "the warning names %s", p)
	}
	assert.Equal(t, len(loose), strings.Count(logs.String(), "level=WARN msg=\"a file of the data directory was open to other users"), logs.String())

	t.Run("OKPrivateSaysNothing", func(t *testing.T) {
		require.NoError(t, s.Close())
		logs.Reset()
		again, err := openData(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.NewTextHandler(&logs, nil)))
		require.NoError(t, err)
		t.Cleanup(func() { again.Close() })
		assert.NotContains(t, logs.String(), "open to other users")
	})
}
