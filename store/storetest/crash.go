package storetest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
)

// ackPrefix marks the child's acknowledgements on its standard output, so
// that anything else the test framework prints there is ignored.
const ackPrefix = "ACK "

// Burst is the child half of the crash test: it Puts chained records for a
// few subjects until it is killed, and prints each id the moment Put
// returns. Whatever it printed was acknowledged, so it must survive the kill.
func Burst(t *testing.T, s receipt.Store) {
	subjects := []string{NewSubject(), NewSubject(), NewSubject()}
	heads := make(map[string]*receipt.Record)
	for i := 0; ; i++ {
		subject := subjects[i%len(subjects)]
		r := NewRecord(subject, heads[subject])
		if _, _, err := s.Put(context.Background(), r, receipt.PutOptions{}); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
		// Unbuffered write: the acknowledgement leaves the process now,
		// not when a buffer would have been flushed.
		if _, err := fmt.Fprintf(os.Stdout, "%s%s %s\n", ackPrefix, subject, r.ID); err != nil {
			t.Fatalf("ack %d: %v", i, err)
		}
		heads[subject] = &r
	}
}

// Crash is the parent half: it re-executes the test binary to run the test
// named child (which must call Burst when it finds env in its environment),
// kills it with SIGKILL once it has acknowledged acks records, then checks
// through a store from reopen that every acknowledged record is there and
// every chain intact.
//
// A SIGKILL loses what the process had not yet handed to the operating
// system, which is exactly what a Put that returned too early would lose; it
// does not simulate a power cut, for which synchronous commits are the
// (configured, not tested) answer.
func Crash(t *testing.T, child string, env []string, acks int, reopen func(t *testing.T) receipt.Store) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	acked := map[string][]string{} // subject → ids in acknowledgement order
	seen := 0
	lines := bufio.NewScanner(out)
	for seen < acks && lines.Scan() {
		line, ok := strings.CutPrefix(lines.Text(), ackPrefix)
		if !ok {
			continue
		}
		subject, id, ok := strings.Cut(line, " ")
		require.True(t, ok, "malformed acknowledgement %q", line)
		acked[subject] = append(acked[subject], id)
		seen++
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	// Drain what the child wrote before it died: those records were
	// acknowledged too and must be checked as well.
	for lines.Scan() {
		if line, ok := strings.CutPrefix(lines.Text(), ackPrefix); ok {
			subject, id, _ := strings.Cut(line, " ")
			acked[subject] = append(acked[subject], id)
			seen++
		}
	}
	err = cmd.Wait()
	require.Error(t, err, "the child must have been killed, not finished")
	require.GreaterOrEqual(t, seen, acks, "the child stopped before acknowledging enough records")

	s := reopen(t)
	for subject, ids := range acked {
		records, err := s.Subject(context.Background(), subject)
		require.NoError(t, err)
		assert.NoError(t, CheckChain(records))
		// A Put in flight at the kill may have committed without being
		// acknowledged, so the store may hold one more, never fewer.
		require.GreaterOrEqual(t, len(records), len(ids), "subject %s lost acknowledged records", subject)
		for i, id := range ids {
			assert.Equal(t, id, records[i].ID, "subject %s, record %d", subject, i)
		}
	}
}

// BenchmarkPut measures durable Puts of s: one chain at a time, and one
// chain per goroutine (many devices at once). It reports puts per second.
func BenchmarkPut(b *testing.B, s receipt.Store) {
	ctx := context.Background()
	chain := func(each func() bool, fail func(...any)) {
		var prev *receipt.Record
		subject := NewSubject()
		for each() {
			r := NewRecord(subject, prev)
			if _, _, err := s.Put(ctx, r, receipt.PutOptions{}); err != nil {
				fail(err)
				return
			}
			prev = &r
		}
	}
	b.Run("Serial", func(b *testing.B) {
		chain(b.Loop, b.Fatal)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
	})
	b.Run("Parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) { chain(pb.Next, b.Error) })
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
	})
}
