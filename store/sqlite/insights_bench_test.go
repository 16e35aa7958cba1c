package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/store/sqlite"
	"github.com/kaiconn/consent/store/storetest"
)

// insightsN is how many receipts BenchmarkInsights generates:
// KAICONN_INSIGHTS_N, a million by default.
func insightsN(tb testing.TB) int {
	if v := os.Getenv("KAICONN_INSIGHTS_N"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(tb, err)
		return n
	}
	return 1_000_000
}

// tailN is how many receipts wait for the folder in the "Tail" half of
// BenchmarkInsights: five seconds of a busy server's receipts, more than
// the folder ever leaves while it keeps up.
const tailN = 5000

// BenchmarkInsights loads a year of generated receipts (a million unless
// KAICONN_INSIGHTS_N says otherwise), counts them, and times each
// dashboard query; then again with a tail of receipts not yet counted,
// which every query adds. The load and the counting take minutes; they
// are reported, not timed.
func BenchmarkInsights(b *testing.B) {
	path := filepath.Join(b.TempDir(), "kaiconn.db")
	db, err := sqlite.Open(path)
	require.NoError(b, err)
	defer db.Close()
	sqlite.PauseFolding(db)
	start := time.Now()
	n := sqlite.BulkLoad(b, db, storetest.InsightsData(insightsN(b), 0), 20000)
	b.Logf("loaded %d receipts in %s", n, time.Since(start).Round(time.Second))
	start = time.Now()
	for more := true; more; {
		more, err = db.Fold(context.Background())
		require.NoError(b, err)
	}
	b.Logf("counted them in %s", time.Since(start).Round(time.Millisecond))
	h, err := db.Health(context.Background(), 0)
	require.NoError(b, err)
	require.Equal(b, int64(n), h.Receipts)
	b.Logf("database: %.1f MB", float64(h.SizeBytes)/1e6)
	b.Run("Counted", func(b *testing.B) { storetest.BenchmarkInsights(b, db) })
	sqlite.BulkLoad(b, db, storetest.InsightsData(tailN, 1), 8)
	b.Run("Tail", func(b *testing.B) { storetest.BenchmarkInsights(b, db) })
}
