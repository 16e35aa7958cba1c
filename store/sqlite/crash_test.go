package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/sqlite"
	"github.com/kaiconn/consent/store/storetest"
)

// crashEnv names the database the crash child writes to; without it the
// child test has nothing to do.
const crashEnv = "CONSENT_STORE_CRASH_SQLITE"

// TestCrash kills a writer mid-burst and checks that every receipt it had
// acknowledged is in the file, with every chain intact.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "receipts.db")
	storetest.Crash(t, "TestCrashChild", []string{crashEnv + "=" + path}, 60, func(t *testing.T) receipt.Store {
		db := open(t, path)
		var ok string
		require.NoError(t, sqlite.IntegrityCheck(context.Background(), db, &ok))
		require.Equal(t, "ok", ok)
		return db
	})
}

// TestCrashChild is the writer TestCrash kills; it runs only as its child.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("runs only as the child of TestCrash")
	}
	db, err := sqlite.Open(path)
	require.NoError(t, err)
	storetest.Burst(t, db)
}

func BenchmarkPut(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "receipts.db"))
	require.NoError(b, err)
	defer db.Close()
	storetest.BenchmarkPut(b, db)
}

func BenchmarkPutParallel(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "receipts.db"))
	require.NoError(b, err)
	defer db.Close()
	before := sqlite.Commits(db)
	storetest.BenchmarkPutParallel(b, db)
	b.ReportMetric(float64(b.N)/float64(sqlite.Commits(db)-before), "receipts/commit")
}
