package storetest

import (
	"context"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kaiconn/consent/receipt"
)

// PurgeBenchEnv sets how many receipts BenchmarkPurge purges (default
// PurgeBenchDefault): KAICONN_PURGE_N=1000000 for the figure the
// retention's documentation asks for.
const PurgeBenchEnv = "KAICONN_PURGE_N"

// PurgeBenchDefault keeps `make bench` short.
const PurgeBenchDefault = 20000

// PurgeBenchN is the number of receipts BenchmarkPurge purges.
func PurgeBenchN(tb testing.TB) int {
	if v := os.Getenv(PurgeBenchEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("%s: %q is not a positive number", PurgeBenchEnv, v)
		}
		return n
	}
	return PurgeBenchDefault
}

// FillErased stores n realistic receipts in chains of ChainLength, from
// ParallelWriters goroutines (so that group commit makes it quick), and
// erases every chain, ended at endedAt.
func FillErased(tb testing.TB, s RetentionStore, n int, endedAt time.Time) {
	ctx := context.Background()
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	for range ParallelWriters {
		wg.Go(func() {
			for {
				k := min(left.Add(-ChainLength)+ChainLength, ChainLength)
				if k <= 0 {
					return
				}
				d, subject := NewDevice(), receipt.NewSubject()
				var prev *receipt.Record
				for range k {
					r := RealisticRecord(d, subject, prev)
					if _, _, err := s.Put(ctx, r, receipt.PutOptions{}); err != nil {
						tb.Error(err)
						return
					}
					prev = &r
				}
				if _, _, err := s.Erase(ctx, subject, Seal(endedAt, nil)); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkPurge measures how fast a purge turns erased chains into
// tombstones: open returns an empty store, which is filled with
// PurgeBenchN receipts (not timed) and purged whole in one run. It reports
// receipts and subjects per second.
func BenchmarkPurge(b *testing.B, open func(b *testing.B) RetentionStore) {
	n := PurgeBenchN(b)
	ended := time.Now().Add(-time.Hour)
	var receipts, subjects int
	b.StopTimer()
	for range b.N {
		s := open(b)
		FillErased(b, s, n, ended)
		b.StartTimer()
		res, err := s.Purge(context.Background(), receipt.PurgeOptions{Cutoff: ended})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Receipts != n {
			b.Fatalf("purged %d receipts of %d", res.Receipts, n)
		}
		receipts += res.Receipts
		subjects += res.Subjects
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(receipts)/b.Elapsed().Seconds(), "receipts/s")
	b.ReportMetric(float64(subjects)/b.Elapsed().Seconds(), "subjects/s")
	b.ReportMetric(float64(n), "receipts")
}
