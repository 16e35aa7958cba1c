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

// BenchmarkInsights loads a year of generated receipts (a million unless
// KAICONN_INSIGHTS_N says otherwise) and times each dashboard query. The
// load takes minutes; it is reported, not timed.
func BenchmarkInsights(b *testing.B) {
	path := filepath.Join(b.TempDir(), "kaiconn.db")
	db, err := sqlite.Open(path)
	require.NoError(b, err)
	defer db.Close()
	start := time.Now()
	n := sqlite.BulkLoad(b, db, storetest.InsightsData(insightsN(b)))
	b.Logf("loaded %d receipts in %s", n, time.Since(start).Round(time.Second))
	h, err := db.Health(context.Background(), 0)
	require.NoError(b, err)
	require.Equal(b, int64(n), h.Receipts)
	b.Logf("database: %.1f MB", float64(h.SizeBytes)/1e6)
	storetest.BenchmarkInsights(b, db)
}
