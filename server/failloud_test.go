package server

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/datadir"
	"github.com/kaiconn/consent/receipt"
)

// withReceipt returns a data directory whose store holds one receipt,
// countersigned by the key in its keys directory.
func withReceipt(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s, err := openData(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	decide(t, s, "/consent", browser{}, url.Values{"lang": {"en"}, "action": {"decline"}})
	require.NoError(t, s.Close())
	return dir
}

func keyFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.jwk.json"))
	require.NoError(t, err)
	return files
}

// A server whose store holds receipts refuses to start without the keys
// that countersigned them, and never mints a new key then.
func TestOpenRefusesLostKeys(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spoil func(t *testing.T, keys string)
		err   string
	}{
		{"ErrMissing", func(t *testing.T, keys string) { require.NoError(t, os.RemoveAll(keys)) }, "is missing or holds no key"},
		{"ErrEmpty", func(t *testing.T, keys string) {
			for _, f := range keyFiles(t, keys) {
				require.NoError(t, os.Remove(f))
			}
		}, "is missing or holds no key"},
		{"ErrRenamed", func(t *testing.T, keys string) { require.NoError(t, os.Rename(keys, keys+".old")) }, "is missing or holds no key"},
		{"ErrReplaced", func(t *testing.T, keys string) {
			require.NoError(t, os.RemoveAll(keys))
			_, err := receipt.OpenKeyring(keys)
			require.NoError(t, err)
		}, "does not hold key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := withReceipt(t)
			keys := filepath.Join(dir, "keys")
			tt.spoil(t, keys)
			before := keyFiles(t, keys)
			_, err := openData(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.DiscardHandler))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
			assert.Contains(t, err.Error(), keys, "names the directory")
			assert.Contains(t, err.Error(), "restore")
			assert.Equal(t, before, keyFiles(t, keys), "no key minted")
		})
	}
	t.Run("OKFreshInstallMakesAKey", func(t *testing.T) {
		dir := t.TempDir()
		s, err := openData(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		assert.Len(t, keyFiles(t, filepath.Join(dir, "keys")), 1)
	})
	t.Run("OKRestarts", func(t *testing.T) {
		dir := withReceipt(t)
		s, err := openData(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		require.NoError(t, s.Close())
	})
}

// The SQLite file holds every receipt: readable by the server's user only.
func TestDataFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s, err := openData(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	for name, want := range map[string]os.FileMode{"": 0o700, "kaiconn.db": 0o600, "consent-cookie.key": 0o600, "keys": 0o700} {
		fi, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err, name)
		assert.Equal(t, want, fi.Mode().Perm(), "%s", filepath.Join("data", name))
	}
}

// pingFails is a store that no longer answers.
type pingFails struct{ Store }

func (pingFails) Ping(context.Context) error { return errors.New("disk gone") }

func TestHealthz(t *testing.T) {
	s := newTestServer(t)
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run(method, func(t *testing.T) {
			w := do(t, s, req{method: method, target: "/healthz"})
			assert.Equal(t, http.StatusOK, w.StatusCode)
			assert.Equal(t, "no-store", w.Header.Get("Cache-Control"))
			if method == http.MethodHead {
				assert.Empty(t, bodyOf(t, w))
			} else {
				assert.Equal(t, "ok\n", bodyOf(t, w))
			}
		})
	}
	t.Run("ErrStoreDown", func(t *testing.T) {
		inner := s.store
		s.store = pingFails{inner}
		t.Cleanup(func() { s.store = inner })
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			assert.Equal(t, http.StatusServiceUnavailable, do(t, s, req{method: method, target: "/healthz"}).StatusCode, method)
		}
	})
}

// The reverse of TestOpenRefusesLostKeys: keys without the SQLite file they
// were made with mean the file was lost, and the server refuses to start
// an empty store in its place.
func TestOpenRefusesLostDatabase(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spoil func(t *testing.T, dir string)
	}{
		{"ErrDeleted", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "kaiconn.db")))
		}},
		{"ErrRenamed", func(t *testing.T, dir string) {
			require.NoError(t, os.Rename(filepath.Join(dir, "kaiconn.db"), filepath.Join(dir, "kaiconn.db.old")))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := withReceipt(t)
			tt.spoil(t, dir)
			_, err := openData(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.DiscardHandler))
			require.Error(t, err)
			assert.Contains(t, err.Error(), filepath.Join(dir, "kaiconn.db")+" is missing")
			assert.Contains(t, err.Error(), "restore")
			_, statErr := os.Stat(filepath.Join(dir, "kaiconn.db"))
			assert.ErrorIs(t, statErr, os.ErrNotExist, "no empty store created")
		})
	}
	t.Run("OKNoKeysYet", func(t *testing.T) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, datadir.CookieKeyFile), make([]byte, 32), 0o600))
		s, err := openData(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.DiscardHandler))
		require.NoError(t, err, "a cookie key alone is no sign of a store")
		require.NoError(t, s.Close())
	})
}
