package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/store/sqlite"
	"github.com/kaiconn/consent/store/storetest"
)

func TestRetention(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) storetest.RetentionStore {
		return open(t, filepath.Join(t.TempDir(), "kaiconn.db"))
	})
}

// purgeCrashEnv names the database the purge crash child purges.
const purgeCrashEnv = "CONSENT_STORE_PURGE_CRASH_SQLITE"

// purgeCrashBase is when the crash test's chains begin to end.
var purgeCrashBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestPurgeCrash kills a purge midway and checks that no chain is left
// half deleted, and that the next purge finishes the work.
func TestPurgeCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "kaiconn.db")
	db, err := sqlite.Open(path)
	require.NoError(t, err)
	storetest.PurgeCrashSetup(t, db, purgeCrashBase)
	require.NoError(t, db.Close())
	storetest.PurgeCrash(t, "TestPurgeCrashChild", []string{purgeCrashEnv + "=" + path}, 30, purgeCrashBase,
		func(t *testing.T) storetest.RetentionStore {
			db := open(t, path)
			var ok string
			require.NoError(t, sqlite.IntegrityCheck(context.Background(), db, &ok))
			require.Equal(t, "ok", ok)
			return db
		})
}

// TestPurgeCrashChild is the purge TestPurgeCrash kills.
func TestPurgeCrashChild(t *testing.T) {
	path := os.Getenv(purgeCrashEnv)
	if path == "" {
		t.Skip("runs only as the child of TestPurgeCrash")
	}
	db, err := sqlite.Open(path)
	require.NoError(t, err)
	storetest.PurgeBurst(t, db, purgeCrashBase)
}

// BenchmarkPurge: KAICONN_PURGE_N=1000000 go test ./store/sqlite -run '^$' -bench Purge -benchtime 1x
func BenchmarkPurge(b *testing.B) {
	storetest.BenchmarkPurge(b, func(b *testing.B) storetest.RetentionStore {
		db, err := sqlite.Open(filepath.Join(b.TempDir(), "kaiconn.db"))
		require.NoError(b, err)
		return db
	})
}
