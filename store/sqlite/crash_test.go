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
	ctx := context.Background()

	b.Run("Serial", func(b *testing.B) {
		var prev *receipt.Record
		subject := storetest.NewSubject()
		for b.Loop() {
			r := storetest.NewRecord(subject, prev)
			if _, _, err := db.Put(ctx, r); err != nil {
				b.Fatal(err)
			}
			prev = &r
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
	})

	b.Run("Parallel", func(b *testing.B) {
		// One subject per goroutine: the throughput of many devices at once,
		// all queued on the single writer.
		b.RunParallel(func(pb *testing.PB) {
			var prev *receipt.Record
			subject := storetest.NewSubject()
			for pb.Next() {
				r := storetest.NewRecord(subject, prev)
				if _, _, err := db.Put(ctx, r); err != nil {
					b.Error(err)
					return
				}
				prev = &r
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
	})
}
