package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kaiconn/consent/receipt"
)

// BenchmarkIngestHTTP measures durable ingest over HTTP: the real program on
// loopback, SQLite in a temporary directory, each receipt acknowledged only
// once it is on disk. Every parallel client is one device chaining its own
// subject. Beside it, it reports the bare rate of what each receipt costs in
// CPU alone (decode, Ed25519 device-signature check, countersignature),
// measured in the same run, so that the two can be compared: the gap is
// HTTP, validation against the catalogue, and the fsync of the store.
func BenchmarkIngestHTTP(b *testing.B) {
	s := openTest(b, "", "")
	c := startTest(b, s)
	c.http.Transport = &http.Transport{MaxIdleConnsPerHost: 64}
	info := c.policy()

	bare := bareVerifyCountersign(b, s, deviceReceiptFor(b, info, receipt.GenerateEd25519Signer(), receipt.NewSubject(), ""))

	var (
		mu        sync.Mutex
		latencies []time.Duration
	)
	b.SetParallelism(2) // 4 devices on 2 cores: enough to keep the writer busy
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		signer := receipt.GenerateEd25519Signer()
		subject, prev := receipt.NewSubject(), ""
		var mine []time.Duration
		for pb.Next() {
			env := deviceReceiptFor(b, info, signer, subject, prev)
			body, err := json.Marshal(env)
			if err != nil {
				b.Error(err)
				return
			}
			start := time.Now()
			res, err := c.http.Post(c.base+"/api/v1/receipts", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			mine = append(mine, time.Since(start))
			if res.StatusCode != http.StatusCreated {
				b.Errorf("POST: %s", res.Status)
				return
			}
			if prev, err = env.Hash(); err != nil {
				b.Error(err)
				return
			}
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(latencies))/b.Elapsed().Seconds(), "receipts/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(bare, "bare-verify+countersign/s")
	b.ReportMetric(0, "ns/op") // per-op time is meaningless for a parallel, latency-reported run
}

// bareVerifyCountersign returns how many receipts per second one core
// decodes, checks the device signature of and countersigns, with no HTTP
// and no store.
func bareVerifyCountersign(b *testing.B, s *Server, env *receipt.Signed) float64 {
	b.Helper()
	body, err := json.Marshal(env)
	if err != nil {
		b.Fatal(err)
	}
	const n = 500
	start := time.Now()
	for range n {
		got, err := receipt.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		if err := got.VerifyDevice(); err != nil {
			b.Fatal(err)
		}
		canon, err := got.Canonical()
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.keys.Countersign(canon); err != nil {
			b.Fatal(err)
		}
	}
	return n / time.Since(start).Seconds()
}
