package storetest

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// RetentionStore is a receipt store that can end, hold and purge chains,
// and counts the console's insights.
type RetentionStore interface {
	receipt.Store
	receipt.Retention
	console.Insights
}

// Seal returns an erasure seal for tests: it names the head it was given
// and the number of receipts, ends the chain at endedAt, and carries a
// record and countersignature that stand for the server's (the stores
// keep them as given).
func Seal(endedAt time.Time, calls *int) func(receipt.Record, int) (receipt.Ending, error) {
	return func(tip receipt.Record, n int) (receipt.Ending, error) {
		if calls != nil {
			*calls++
		}
		record := fmt.Sprintf(`{"headHash":%q,"receipts":%d,"schema":%q,"subject":%q}`, tip.Hash, n, receipt.ErasureSchema, tip.Subject)
		return receipt.Ending{EndedAt: endedAt, HeadHash: tip.Hash, Record: []byte(record), Countersig: "eyJhbGciOiJFZERTQSJ9..c2ln", KeyID: "server-2025"}, nil
	}
}

// chain puts n chained records for a fresh subject, device-signed by key
// when key is not "", and returns them.
func chain(t *testing.T, s receipt.Store, n int, key string) []receipt.Record {
	t.Helper()
	subject := NewSubject()
	var out []receipt.Record
	var prev *receipt.Record
	for range n {
		r := NewRecord(subject, prev)
		r.DeviceKey = key
		stored, _, err := s.Put(context.Background(), r, receipt.PutOptions{})
		require.NoError(t, err)
		out = append(out, stored)
		prev = &stored
	}
	return out
}

// withdrawnChain puts a chain whose newest receipt gives nothing, received
// at received.
func withdrawnChain(t *testing.T, s receipt.Store, received time.Time) []receipt.Record {
	t.Helper()
	subject := NewSubject()
	first := NewRecord(subject, nil)
	first.ReceivedAt = received.Add(-time.Hour)
	last := NewRecord(subject, &first)
	last.ReceivedAt = received
	last.Decision = receipt.DecisionWithdrawn
	last.States = map[string]string{"necessary": receipt.StateWithdrawn, "analytics": receipt.StateRefused}
	var out []receipt.Record
	for _, r := range []receipt.Record{first, last} {
		stored, _, err := s.Put(context.Background(), r, receipt.PutOptions{})
		require.NoError(t, err)
		out = append(out, stored)
	}
	return out
}

// checkTombstones checks that subject's records are the tombstones of
// want: ids, hashes and times kept, everything else gone.
func checkTombstones(t *testing.T, s receipt.Store, want []receipt.Record, kind string, purgedAt time.Time) {
	t.Helper()
	got, err := s.Subject(context.Background(), want[0].Subject)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	require.NoError(t, CheckChain(got), "a tombstoned chain still links")
	for i, g := range got {
		w := want[i]
		assert.True(t, g.IsTombstone(), "record %d", i)
		assert.Equal(t, kind, g.Ended)
		assert.Equal(t, purgedAt.UTC().Truncate(time.Microsecond), g.PurgedAt)
		assert.Equal(t, w.ID, g.ID)
		assert.Equal(t, w.Hash, g.Hash)
		assert.Equal(t, w.PrevHash, g.PrevHash)
		assert.Equal(t, w.IssuedAt, g.IssuedAt)
		assert.Equal(t, w.ReceivedAt, g.ReceivedAt)
		assert.Equal(t, w.KeyID, g.KeyID)
		assert.Empty(t, g.Body)
		assert.Empty(t, g.Countersig)
		assert.Empty(t, g.States)
		assert.Empty(t, g.Decision)
		assert.Empty(t, g.Language)
		assert.Empty(t, g.DeviceKey)
		byID, err := s.Get(context.Background(), w.ID)
		require.NoError(t, err)
		assert.True(t, byID.IsTombstone())
	}
}

// RunRetention is the contract of receipt.Retention: erasure ends a chain
// for good and atomically with appends, the purge turns ended chains into
// tombstones after the retention unless held, idempotently, and leaves
// the insights' counts alone. open must return an empty store.
func RunRetention(t *testing.T, open func(t *testing.T) RetentionStore) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)

	t.Run("Erase", func(t *testing.T) {
		s := open(t)
		key := NewKey()
		records := chain(t, s, 3, key)
		subject := records[0].Subject
		calls := 0
		e, created, err := s.Erase(ctx, subject, Seal(now, &calls))
		require.NoError(t, err)
		assert.True(t, created)
		assert.Equal(t, receipt.EndErased, e.Kind)
		assert.Equal(t, records[2].Hash, e.HeadHash, "the erasure names the head")
		assert.Contains(t, string(e.Record), `"receipts":3`)
		assert.True(t, e.PurgedAt.IsZero())

		again, created, err := s.Erase(ctx, subject, Seal(now.Add(time.Hour), &calls))
		require.NoError(t, err)
		assert.False(t, created, "erasing twice changes nothing")
		assert.Equal(t, e, again)
		assert.Equal(t, 1, calls, "the second erasure seals nothing")

		st, err := s.State(ctx, subject)
		require.NoError(t, err)
		require.NotNil(t, st.Ending)
		assert.Equal(t, e, *st.Ending)
		assert.Nil(t, st.Hold)

		// Nothing can be appended, device-signed or server-attested, and
		// the refusal reads like any broken chain.
		for name, r := range map[string]receipt.Record{
			"attested": NewRecord(subject, &records[2]),
			"device":   NewDeviceRecord(subject, &records[2], key),
		} {
			_, _, err := s.Put(ctx, r, receipt.PutOptions{})
			assert.Equal(t, errs.Conflict, errs.Code(err), name)
		}
		// A retry of a receipt stored before is still answered.
		_, created, err = s.Put(ctx, records[1], receipt.PutOptions{})
		require.NoError(t, err)
		assert.False(t, created)
		// Until the purge, the receipts stay readable whole.
		got, err := s.Subject(ctx, subject)
		require.NoError(t, err)
		require.Len(t, got, 3)
		assert.Equal(t, records[0].Body, got[0].Body)

		_, _, err = s.Erase(ctx, NewSubject(), Seal(now, nil))
		assert.Equal(t, errs.NotFound, errs.Code(err), "an unknown subject")
		st, err = s.State(ctx, NewSubject())
		require.NoError(t, err)
		assert.Nil(t, st.Ending)
	})

	t.Run("EraseRacesAppends", func(t *testing.T) {
		// Appends racing an erasure either commit before it, and then the
		// erasure names the newest of them, or are refused.
		s := open(t)
		records := chain(t, s, 1, "")
		subject := records[0].Subject
		var mu sync.Mutex
		head := records[0]
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				prev := head
				mu.Unlock()
				stored, _, err := s.Put(ctx, NewRecord(subject, &prev), receipt.PutOptions{})
				if err != nil {
					return
				}
				mu.Lock()
				head = stored
				mu.Unlock()
			}
		})
		time.Sleep(20 * time.Millisecond)
		e, _, err := s.Erase(ctx, subject, Seal(now, nil))
		close(stop)
		wg.Wait()
		require.NoError(t, err)
		all, err := s.Subject(ctx, subject)
		require.NoError(t, err)
		assert.Equal(t, all[len(all)-1].Hash, e.HeadHash, "nothing was appended after the erasure")
		assert.Contains(t, string(e.Record), fmt.Sprintf(`"receipts":%d`, len(all)))
	})

	t.Run("Purge", func(t *testing.T) {
		s := open(t)
		key := NewKey()
		erased := chain(t, s, 3, key)
		kept := chain(t, s, 2, NewKey())
		_, _, err := s.Erase(ctx, erased[0].Subject, Seal(now, nil))
		require.NoError(t, err)
		filter := console.Filter{From: console.DayOf(now) - 2, To: console.DayOf(now) + 1}
		before := countsOf(t, s, filter)

		// Before the retention ran out: nothing.
		res, err := s.Purge(ctx, receipt.PurgeOptions{Cutoff: now.Add(-time.Second), Now: now})
		require.NoError(t, err)
		assert.Equal(t, receipt.PurgeResult{}, res)

		// Dry: counted, nothing changed.
		res, err = s.Purge(ctx, receipt.PurgeOptions{Cutoff: now, Now: now, DryRun: true})
		require.NoError(t, err)
		assert.Equal(t, receipt.PurgeResult{Subjects: 1, Receipts: 3}, res)
		got, err := s.Subject(ctx, erased[0].Subject)
		require.NoError(t, err)
		assert.Equal(t, erased[0].Body, got[0].Body)

		purgedAt := now.Add(time.Minute)
		res, err = s.Purge(ctx, receipt.PurgeOptions{Cutoff: now, Now: purgedAt, Batch: 1})
		require.NoError(t, err)
		assert.Equal(t, receipt.PurgeResult{Subjects: 1, Receipts: 3}, res)
		checkTombstones(t, s, erased, receipt.EndErased, purgedAt)
		_, err = s.KeySubject(ctx, key)
		assert.Equal(t, errs.NotFound, errs.Code(err), "the key enrolments go with the bodies")
		st, err := s.State(ctx, erased[0].Subject)
		require.NoError(t, err)
		require.NotNil(t, st.Ending)
		assert.Equal(t, purgedAt, st.Ending.PurgedAt)
		assert.NotEmpty(t, st.Ending.Record, "the erasure record outlives the bodies")

		// The other chain is whole.
		other, err := s.Subject(ctx, kept[0].Subject)
		require.NoError(t, err)
		for i := range other {
			assert.Equal(t, kept[i], other[i])
		}
		// Idempotent.
		res, err = s.Purge(ctx, receipt.PurgeOptions{Cutoff: now.Add(time.Hour), Now: now})
		require.NoError(t, err)
		assert.Equal(t, receipt.PurgeResult{}, res)
		// The counts did not move.
		assert.Equal(t, before, countsOf(t, s, filter))
		// Still nothing can be appended.
		_, _, err = s.Put(ctx, NewRecord(erased[0].Subject, &erased[2]), receipt.PutOptions{})
		assert.Equal(t, errs.Conflict, errs.Code(err))
	})

	t.Run("Withdrawn", func(t *testing.T) {
		s := open(t)
		old := now.Add(-48 * time.Hour)
		withdrawn := withdrawnChain(t, s, old)
		recent := withdrawnChain(t, s, now)
		given := chain(t, s, 1, "") // gives consent: never due
		res, err := s.Purge(ctx, receipt.PurgeOptions{Cutoff: now.Add(-24 * time.Hour), Now: now})
		require.NoError(t, err)
		assert.Equal(t, receipt.PurgeResult{Subjects: 1, Receipts: 2}, res)
		checkTombstones(t, s, withdrawn, receipt.EndWithdrawn, now)
		st, err := s.State(ctx, withdrawn[0].Subject)
		require.NoError(t, err)
		require.NotNil(t, st.Ending)
		assert.Equal(t, receipt.EndWithdrawn, st.Ending.Kind)
		assert.Equal(t, withdrawn[1].Hash, st.Ending.HeadHash)
		assert.Equal(t, old, st.Ending.EndedAt)
		assert.Empty(t, st.Ending.Record)
		_, _, err = s.Put(ctx, NewRecord(withdrawn[0].Subject, &withdrawn[1]), receipt.PutOptions{})
		assert.Equal(t, errs.Conflict, errs.Code(err), "a purged chain takes no more receipts")

		for _, open := range [][]receipt.Record{recent, given} {
			got, err := s.Subject(ctx, open[0].Subject)
			require.NoError(t, err)
			assert.False(t, got[len(got)-1].IsTombstone())
		}
	})

	t.Run("Hold", func(t *testing.T) {
		s := open(t)
		records := chain(t, s, 2, "")
		subject := records[0].Subject
		_, _, err := s.Erase(ctx, subject, Seal(now, nil))
		require.NoError(t, err)

		for name, h := range map[string]receipt.Hold{
			"no reason":  {Subject: subject, By: "officer"},
			"no officer": {Subject: subject, Reason: "court order"},
		} {
			assert.Equal(t, errs.Invalid, errs.Code(s.Hold(ctx, h)), name)
		}
		assert.Equal(t, errs.NotFound, errs.Code(s.Hold(ctx, receipt.Hold{Subject: NewSubject(), Reason: "r", By: "o"})))
		assert.Equal(t, errs.NotFound, errs.Code(s.Release(ctx, subject)), "nothing to release")

		hold := receipt.Hold{Subject: subject, Reason: "court order 2026-17", By: "officer", At: now}
		require.NoError(t, s.Hold(ctx, hold))
		st, err := s.State(ctx, subject)
		require.NoError(t, err)
		require.NotNil(t, st.Hold)
		assert.Equal(t, hold, *st.Hold)

		res, err := s.Purge(ctx, receipt.PurgeOptions{Cutoff: now, Now: now})
		require.NoError(t, err)
		assert.Equal(t, receipt.PurgeResult{Held: 1}, res)
		got, err := s.Subject(ctx, subject)
		require.NoError(t, err)
		assert.Equal(t, records[0].Body, got[0].Body, "a held chain keeps its bodies")

		require.NoError(t, s.Release(ctx, subject))
		res, err = s.Purge(ctx, receipt.PurgeOptions{Cutoff: now, Now: now})
		require.NoError(t, err)
		assert.Equal(t, receipt.PurgeResult{Subjects: 1, Receipts: 2}, res)
		checkTombstones(t, s, records, receipt.EndErased, now)
	})

	t.Run("Runs", func(t *testing.T) {
		s := open(t)
		for i := range 3 {
			require.NoError(t, s.RecordPurge(ctx, receipt.PurgeRun{
				Node: fmt.Sprintf("node-%d", i), StartedAt: now.Add(time.Duration(i) * time.Minute),
				FinishedAt: now.Add(time.Duration(i)*time.Minute + time.Second), Cutoff: now,
				Result: receipt.PurgeResult{Subjects: i, Receipts: 2 * i},
			}))
		}
		runs, err := s.PurgeRuns(ctx, 2)
		require.NoError(t, err)
		require.Len(t, runs, 2)
		assert.Equal(t, "node-2", runs[0].Node, "newest first")
		assert.Equal(t, receipt.PurgeResult{Subjects: 2, Receipts: 4}, runs[0].Result)
		assert.Equal(t, now.Add(2*time.Minute), runs[0].StartedAt)
	})
}

// countsOf reads every count the console shows.
func countsOf(t *testing.T, s console.Insights, f console.Filter) []any {
	t.Helper()
	ctx := context.Background()
	d, err := s.DecisionsByDay(ctx, f)
	require.NoError(t, err)
	p, err := s.PurposeStates(ctx, f)
	require.NoError(t, err)
	// The rows' order is no part of the contract (SQLite returns equal
	// groups in whatever order its plan reads them): compare them sorted.
	slices.SortFunc(p, func(a, b console.PurposeCount) int {
		return cmp.Or(cmp.Compare(a.Audience, b.Audience), cmp.Compare(a.Purpose, b.Purpose), cmp.Compare(a.State, b.State))
	})
	l, err := s.TimesToDecision(ctx, f)
	require.NoError(t, err)
	r, err := s.Reasks(ctx, f)
	require.NoError(t, err)
	rp, err := s.ReaskPurposes(ctx, f)
	require.NoError(t, err)
	h, err := s.Health(ctx, f.From)
	require.NoError(t, err)
	return []any{d, p, l, r, rp, h.Receipts, h.PerDay}
}

// purgeAck marks the crash child's progress lines.
const purgeAck = "PURGED "

// PurgeCrashSubjects is how many erased chains the crash test purges.
const PurgeCrashSubjects = 120

// PurgeCrashSetup fills s for the crash test: PurgeCrashSubjects erased
// chains of 3 receipts, the i-th ended at base + i seconds.
func PurgeCrashSetup(t *testing.T, s RetentionStore, base time.Time) {
	for i := range PurgeCrashSubjects {
		records := chain(t, s, 3, NewKey())
		_, _, err := s.Erase(context.Background(), records[0].Subject, Seal(base.Add(time.Duration(i)*time.Second), nil))
		require.NoError(t, err)
	}
}

// PurgeBurst is the crash child: it purges the chains one second of ends
// at a time and prints each step once it returned, until it is killed.
func PurgeBurst(t *testing.T, s RetentionStore, base time.Time) {
	for i := 0; ; i++ {
		res, err := s.Purge(context.Background(), receipt.PurgeOptions{Cutoff: base.Add(time.Duration(i) * time.Second), Batch: 1})
		if err != nil {
			t.Fatalf("purge %d: %v", i, err)
		}
		fmt.Fprintf(os.Stdout, "%s%d %d\n", purgeAck, i, res.Subjects)
	}
}

// PurgeCrash kills the child test named child (which calls PurgeBurst)
// with SIGKILL once it reported steps purges, reopens the store and checks
// that every chain is either whole or entirely tombstones, that what the
// child reported is purged, and that a new purge finishes the work.
func PurgeCrash(t *testing.T, child string, env []string, steps int, base time.Time, reopen func(t *testing.T) RetentionStore) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+child+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	reported := 0
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if _, ok := strings.CutPrefix(lines.Text(), purgeAck); ok {
			reported++
			if reported == steps {
				break
			}
		}
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	for lines.Scan() {
		if _, ok := strings.CutPrefix(lines.Text(), purgeAck); ok {
			reported++
		}
	}
	require.Error(t, cmd.Wait(), "the child must have been killed, not finished")
	require.GreaterOrEqual(t, reported, steps)

	s := reopen(t)
	ctx := context.Background()
	purged := 0
	var subjects []string
	require.NoError(t, s.Export(ctx, func(r receipt.Record) error {
		if len(subjects) == 0 || subjects[len(subjects)-1] != r.Subject {
			subjects = append(subjects, r.Subject)
		}
		return nil
	}))
	seen := map[string]bool{}
	for _, subject := range subjects {
		if seen[subject] {
			continue
		}
		seen[subject] = true
		records, err := s.Subject(ctx, subject)
		require.NoError(t, err)
		require.Len(t, records, 3)
		require.NoError(t, CheckChain(records))
		st, err := s.State(ctx, subject)
		require.NoError(t, err)
		require.NotNil(t, st.Ending)
		tombs := 0
		for _, r := range records {
			if r.IsTombstone() {
				tombs++
			}
		}
		switch {
		case tombs == 3:
			purged++
			assert.False(t, st.Ending.PurgedAt.IsZero(), "subject %s: tombstones without a purge time", subject)
		case tombs == 0:
			assert.True(t, st.Ending.PurgedAt.IsZero(), "subject %s: a purge time without tombstones", subject)
		default:
			t.Errorf("subject %s: half deleted (%d of 3 tombstones)", subject, tombs)
		}
	}
	// Step i purged the chains that ended by base + i s, one per second.
	assert.GreaterOrEqual(t, purged, reported, "the reported purges are durable")

	res, err := s.Purge(ctx, receipt.PurgeOptions{Cutoff: base.Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, PurgeCrashSubjects-purged, res.Subjects, "the next run finishes the work")
}
