package storetest

import (
	"context"
	"runtime"
	"testing"

	"github.com/kaiconn/consent/receipt"
)

// ParallelWriters is how many goroutines BenchmarkPutParallel runs: the
// concurrency the HTTP benchmark posts at.
const ParallelWriters = 16

// ChainLength is how many receipts each simulated device chains on one
// subject before it moves on to a fresh subject: a first-launch decision
// and a few settings changes.
const ChainLength = 4

// BenchmarkPutParallel measures durable Puts of realistic records from
// ParallelWriters goroutines at once, each a device chaining ChainLength
// receipts per subject on distinct subjects. It reports puts per second.
func BenchmarkPutParallel(b *testing.B, s receipt.Store) {
	ctx := context.Background()
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((ParallelWriters + procs - 1) / procs)
	b.RunParallel(func(pb *testing.PB) {
		d := NewDevice()
		var prev *receipt.Record
		subject, n := receipt.NewSubject(), 0
		for pb.Next() {
			if n == ChainLength {
				d, prev, subject, n = NewDevice(), nil, receipt.NewSubject(), 0
			}
			r := RealisticRecord(d, subject, prev)
			if _, _, err := s.Put(ctx, r, receipt.PutOptions{}); err != nil {
				b.Error(err)
				return
			}
			prev = &r
			n++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}
