package sqlite

import (
	"context"
	"iter"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/storetest"
)

// insightsCostN is how many receipts each run of BenchmarkInsightsCost
// stores.
const insightsCostN = 50_000

// BenchmarkInsightsCost measures what keeping the insights' counts costs
// beside storing receipts: generated receipts, decided now as a server
// receives them, are inserted as Put inserts them, eight to a transaction
// (what a group commit of 16 clients holds), then folded into the counts a
// second's worth at a time (5,000 receipts, the load of a busy server). It
// reports the CPU time (user + system, which a busy machine disturbs less
// than wall time) per receipt of each.
func BenchmarkInsightsCost(b *testing.B) {
	var insertCPU, foldCPU time.Duration
	for b.Loop() {
		db, err := Open(filepath.Join(b.TempDir(), "kaiconn.db"))
		require.NoError(b, err)
		PauseFolding(db) // fold by hand below
		var batch [][]receipt.Record
		n := 0
		for chain := range live(storetest.InsightsData(insightsCostN, 0)) {
			batch = append(batch, chain)
			if n += len(chain); n < 5000 {
				continue
			}
			before := cpuTime(b)
			BulkLoad(b, db, func(yield func([]receipt.Record) bool) {
				for _, c := range batch {
					if !yield(c) {
						return
					}
				}
			}, 8)
			mid := cpuTime(b)
			more, err := db.Fold(context.Background())
			require.NoError(b, err)
			require.False(b, more)
			insertCPU += mid - before
			foldCPU += cpuTime(b) - mid
			batch, n = batch[:0], 0
		}
		require.NoError(b, db.Close())
	}
	per := float64(b.N * insightsCostN)
	b.ReportMetric(float64(insertCPU.Microseconds())/per, "insert-cpu-µs/receipt")
	b.ReportMetric(float64(foldCPU.Microseconds())/per, "fold-cpu-µs/receipt")
}

// live moves generated receipts to now, as a server receives them: the
// receipts of one group commit are decided within moments of each other.
func live(chains iter.Seq[[]receipt.Record]) iter.Seq[[]receipt.Record] {
	start := time.Now().Truncate(time.Millisecond)
	i := 0
	return func(yield func([]receipt.Record) bool) {
		for chain := range chains {
			for j := range chain {
				r := &chain[j]
				wait := r.IssuedAt.Sub(r.ShownAt)
				r.IssuedAt = start.Add(time.Duration(i) * time.Millisecond)
				if !r.ShownAt.IsZero() {
					r.ShownAt = r.IssuedAt.Add(-wait)
				}
				i++
			}
			if !yield(chain) {
				return
			}
		}
	}
}

func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	require.NoError(tb, syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
