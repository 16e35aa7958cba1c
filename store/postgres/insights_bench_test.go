package postgres_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/store/pgtest"
	"github.com/kaiconn/consent/store/postgres"
	"github.com/kaiconn/consent/store/storetest"
)

// BenchmarkInsights loads a year of generated receipts (a million unless
// KAICONN_INSIGHTS_N says otherwise) and times each dashboard query, as
// the SQLite benchmark does. The load is reported, not timed.
func BenchmarkInsights(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("KAICONN_INSIGHTS_N"); v != "" {
		var err error
		n, err = strconv.Atoi(v)
		require.NoError(b, err)
	}
	db, err := postgres.Open(context.Background(), pgtest.DSN(b))
	require.NoError(b, err)
	defer db.Close()
	start := time.Now()
	loaded := postgres.BulkLoad(b, db, storetest.InsightsData(n, 0))
	b.Logf("loaded %d receipts in %s", loaded, time.Since(start).Round(time.Second))
	h, err := db.Health(context.Background(), 0)
	require.NoError(b, err)
	require.Equal(b, int64(loaded), h.Receipts)
	b.Logf("database: %.1f MB", float64(h.SizeBytes)/1e6)
	storetest.BenchmarkInsights(b, db)
}
