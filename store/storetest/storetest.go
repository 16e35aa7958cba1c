package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Reopener is what an opener returns when the store it opens can be closed
// and opened again on the same data; the suite then also checks that records
// survive the reopening. Only test code implements it.
type Reopener interface {
	receipt.Store
	// Reopen opens the same database again after the store was closed.
	Reopen(t *testing.T) receipt.Store
}

// NewRecord returns a well-formed server-attested record (no device key)
// for subject, chained on prev (nil for the subject's first record). Its body is small JSON holding the id, so
// that two records never share a hash, and its times have millisecond
// precision in a non-UTC zone, so that a store that keeps less than
// milliseconds or forgets to normalise the zone is caught.
func NewRecord(subject string, prev *receipt.Record) receipt.Record {
	id := uuid.NewString()
	prevHash := ""
	if prev != nil {
		prevHash = prev.Hash
	}
	body, err := json.Marshal(map[string]string{"id": id, "subject": subject, "prev": prevHash})
	if err != nil {
		panic(err) // A map of strings always marshals.
	}
	sum := sha256.Sum256(body)
	shanghai := time.FixedZone("CST", 8*60*60)
	issued := time.Now().In(shanghai).Truncate(time.Millisecond)
	return receipt.Record{
		ID:            id,
		Subject:       subject,
		PrevHash:      prevHash,
		Hash:          hex.EncodeToString(sum[:]),
		PolicyVersion: "2025-06-01",
		Surface:       "web-banner",
		IssuedAt:      issued,
		ReceivedAt:    issued.Add(1500 * time.Millisecond),
		Body:          body,
		Countersig:    "eyJhbGciOiJFUzI1NiJ9.e30.c2ln",
		KeyID:         "server-2025",
		Language:      receipt.LangZhHans,
		Decision:      receipt.DecisionAgreed,
		Schema:        1,
		States:        map[string]string{"necessary": receipt.StateGiven, "analytics": receipt.StateRefused},
	}
}

// NewSubject returns a fresh pseudonymous subject id, so that subtests
// sharing one database never see each other's chains.
func NewSubject() string { return "subj-" + uuid.NewString() }

// Normalised is r as a store must return it: times in UTC, without the
// monotonic clock reading, cut to microseconds (what PostgreSQL keeps).
func Normalised(r receipt.Record) receipt.Record {
	r.IssuedAt = r.IssuedAt.UTC().Truncate(time.Microsecond)
	r.ReceivedAt = r.ReceivedAt.UTC().Truncate(time.Microsecond)
	if !r.ShownAt.IsZero() {
		r.ShownAt = r.ShownAt.UTC().Truncate(time.Microsecond)
	}
	return r
}

// NewKey returns a fresh device key thumbprint for NewDeviceRecord.
func NewKey() string { return "key-" + uuid.NewString() }

// NewDeviceRecord is NewRecord signed by the device key with thumbprint key,
// so that the store applies its key rules to it.
func NewDeviceRecord(subject string, prev *receipt.Record, key string) receipt.Record {
	r := NewRecord(subject, prev)
	r.DeviceKey = key
	return r
}

// Run runs the contract suite. open must return an empty store; it is
// called once per subtest and must arrange the store's Close with t.Cleanup.
// Close may then be called twice, as the persistence check closes early.
func Run(t *testing.T, open func(t *testing.T) receipt.Store) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		s := open(t)
		r := NewRecord(NewSubject(), nil)

		stored, created, err := s.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)
		assert.True(t, created)
		assert.Equal(t, Normalised(r), stored)
		assert.Equal(t, time.UTC, stored.IssuedAt.Location())

		got, err := s.Get(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, Normalised(r), got)

		head, err := s.Head(ctx, r.Subject)
		require.NoError(t, err)
		assert.Equal(t, r.ID, head.ID)

		next := NewRecord(r.Subject, &r)
		_, created, err = s.Put(ctx, next, receipt.PutOptions{})
		require.NoError(t, err)
		assert.True(t, created)

		head, err = s.Head(ctx, r.Subject)
		require.NoError(t, err)
		assert.Equal(t, next.ID, head.ID)
	})

	t.Run("Idempotent", func(t *testing.T) {
		s := open(t)
		r := NewRecord(NewSubject(), nil)
		_, _, err := s.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)

		// A retry carrying a different body must still get the first
		// answer: the id, not the content, names the receipt.
		retry := r
		retry.Body = []byte(`{"tampered":true}`)
		retry.Hash = "ffff"
		retry.Surface = "settings"
		stored, created, err := s.Put(ctx, retry, receipt.PutOptions{})
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, Normalised(r), stored)

		all, err := s.Subject(ctx, r.Subject)
		require.NoError(t, err)
		assert.Len(t, all, 1)
	})

	t.Run("IdempotentAfterChainMoved", func(t *testing.T) {
		// A client whose first answer was lost retries after its next
		// receipt already landed: the retry must not be taken for a fork.
		s := open(t)
		first := NewRecord(NewSubject(), nil)
		second := NewRecord(first.Subject, &first)
		for _, r := range []receipt.Record{first, second} {
			_, _, err := s.Put(ctx, r, receipt.PutOptions{})
			require.NoError(t, err)
		}

		stored, created, err := s.Put(ctx, first, receipt.PutOptions{})
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, first.ID, stored.ID)
	})

	t.Run("ReceivedAtDefaultsToNow", func(t *testing.T) {
		s := open(t)
		r := NewRecord(NewSubject(), nil)
		r.ReceivedAt = time.Time{}
		before := time.Now().Add(-time.Second)

		stored, _, err := s.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)
		assert.True(t, stored.ReceivedAt.After(before), "received at %v", stored.ReceivedAt)

		got, err := s.Get(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, stored, got)
	})

	t.Run("TimePrecision", func(t *testing.T) {
		s := open(t)
		r := NewRecord(NewSubject(), nil)
		r.IssuedAt = time.Date(2025, 6, 1, 9, 30, 15, 123456789, time.FixedZone("CST", 8*60*60))

		stored, _, err := s.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)
		got, err := s.Get(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, stored, got, "Put must answer what Get will return")
		assert.Equal(t, time.UTC, got.IssuedAt.Location())
		assert.WithinDuration(t, r.IssuedAt, got.IssuedAt, time.Millisecond)
		assert.Equal(t, 123, got.IssuedAt.Nanosecond()/int(time.Millisecond))
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Get(ctx, uuid.NewString())
		assert.Equal(t, errs.NotFound, errs.Code(err), "Get: %v", err)

		_, err = s.Head(ctx, NewSubject())
		assert.Equal(t, errs.NotFound, errs.Code(err), "Head: %v", err)

		all, err := s.Subject(ctx, NewSubject())
		require.NoError(t, err)
		assert.Empty(t, all)
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		s := open(t)
		for _, tt := range []struct {
			name  string
			field string
			spoil func(*receipt.Record)
		}{
			{"EmptyID", "id", func(r *receipt.Record) { r.ID = "" }},
			{"EmptySubject", "subject", func(r *receipt.Record) { r.Subject = "" }},
			{"EmptyHash", "hash", func(r *receipt.Record) { r.Hash = "" }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := NewRecord(NewSubject(), nil)
				tt.spoil(&r)
				_, created, err := s.Put(ctx, r, receipt.PutOptions{})
				require.Error(t, err)
				assert.False(t, created)
				assert.Equal(t, errs.Invalid, errs.Code(err))
				assert.Contains(t, errs.Message(err), tt.field)
			})
		}
		assert.Zero(t, count(t, s), "an invalid record must leave nothing behind")
	})

	t.Run("ErrChainConflict", func(t *testing.T) {
		s := open(t)
		first := NewRecord(NewSubject(), nil)
		_, _, err := s.Put(ctx, first, receipt.PutOptions{})
		require.NoError(t, err)
		second := NewRecord(first.Subject, &first)
		_, _, err = s.Put(ctx, second, receipt.PutOptions{})
		require.NoError(t, err)

		orphan := NewRecord(NewSubject(), &first) // a first record claiming a predecessor
		fork := NewRecord(first.Subject, &first)  // a second child of first
		restart := NewRecord(first.Subject, nil)  // a new chain for a subject that has one
		for name, r := range map[string]receipt.Record{"Orphan": orphan, "Fork": fork, "Restart": restart} {
			t.Run(name, func(t *testing.T) {
				_, created, err := s.Put(ctx, r, receipt.PutOptions{})
				assert.Equal(t, errs.Conflict, errs.Code(err), "%v", err)
				assert.False(t, created)
				_, err = s.Get(ctx, r.ID)
				assert.Equal(t, errs.NotFound, errs.Code(err), "a refused record must not be stored")
			})
		}

		head, err := s.Head(ctx, first.Subject)
		require.NoError(t, err)
		assert.Equal(t, second.ID, head.ID)
	})

	t.Run("ConcurrentRace", func(t *testing.T) {
		// Eight devices answer on the same head at once: exactly one may
		// extend the chain, the others must learn of the conflict. A race
		// is won or lost by chance, so it is run for several heads in a
		// row, the first of them a subject with no record at all, where
		// there is no head row to lock.
		s := open(t)
		const racers, rounds = 8, 5
		subject := NewSubject()
		var head *receipt.Record
		for round := range rounds {
			results := race(racers, func(int) receipt.Record { return NewRecord(subject, head) }, s)
			var winners []receipt.Record
			conflicts := 0
			for _, res := range results {
				switch {
				case res.err == nil && res.created:
					winners = append(winners, res.stored)
				case errs.Code(res.err) == errs.Conflict:
					conflicts++
				default:
					t.Errorf("round %d: unexpected result: created=%v err=%v", round, res.created, res.err)
				}
			}
			require.Len(t, winners, 1, "round %d", round)
			assert.Equal(t, racers-1, conflicts, "round %d", round)
			head = &winners[0]
		}

		all, err := s.Subject(ctx, subject)
		require.NoError(t, err)
		assert.Len(t, all, rounds)
		assert.NoError(t, CheckChain(all))
	})

	t.Run("ConcurrentRetry", func(t *testing.T) {
		// The same receipt sent eight times at once is stored once, and
		// every sender gets the same record back.
		s := open(t)
		r := NewRecord(NewSubject(), nil)
		results := race(8, func(int) receipt.Record { return r }, s)
		created := 0
		for _, res := range results {
			require.NoError(t, res.err)
			assert.Equal(t, Normalised(r), res.stored)
			if res.created {
				created++
			}
		}
		assert.Equal(t, 1, created)
	})

	t.Run("ConcurrentSubjects", func(t *testing.T) {
		// Writers on different subjects never get in each other's way: no
		// busy error, no lost record.
		s := open(t)
		const writers, each = 4, 10
		var wg sync.WaitGroup
		errc := make(chan error, writers)
		subjects := make([]string, writers)
		for i := range writers {
			subjects[i] = NewSubject()
			wg.Go(func() {
				var prev *receipt.Record
				for range each {
					r := NewRecord(subjects[i], prev)
					if _, _, err := s.Put(ctx, r, receipt.PutOptions{}); err != nil {
						errc <- err
						return
					}
					prev = &r
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
		for _, subject := range subjects {
			all, err := s.Subject(ctx, subject)
			require.NoError(t, err)
			assert.Len(t, all, each)
			assert.NoError(t, CheckChain(all))
		}
	})

	t.Run("SubjectOrder", func(t *testing.T) {
		s := open(t)
		a, b := NewSubject(), NewSubject()
		var want []receipt.Record
		var prevA, prevB *receipt.Record
		for range 5 {
			ra := NewRecord(a, prevA)
			rb := NewRecord(b, prevB)
			for _, r := range []receipt.Record{ra, rb} {
				_, _, err := s.Put(ctx, r, receipt.PutOptions{})
				require.NoError(t, err)
			}
			want = append(want, Normalised(ra))
			prevA, prevB = &ra, &rb
		}

		got, err := s.Subject(ctx, a)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	})

	t.Run("ExportOrder", func(t *testing.T) {
		s := open(t)
		var want []string
		prev := map[string]*receipt.Record{}
		subjects := []string{NewSubject(), NewSubject(), NewSubject()}
		for i := range 9 {
			subject := subjects[(i*2)%3]
			r := NewRecord(subject, prev[subject])
			_, _, err := s.Put(ctx, r, receipt.PutOptions{})
			require.NoError(t, err)
			prev[subject] = &r
			want = append(want, r.ID)
		}

		var got []string
		require.NoError(t, s.Export(ctx, func(r receipt.Record) error {
			got = append(got, r.ID)
			return nil
		}))
		assert.Equal(t, want, got)
	})

	t.Run("ExportStopsOnError", func(t *testing.T) {
		s := open(t)
		var prev *receipt.Record
		subject := NewSubject()
		for range 3 {
			r := NewRecord(subject, prev)
			_, _, err := s.Put(ctx, r, receipt.PutOptions{})
			require.NoError(t, err)
			prev = &r
		}
		stop := errors.New("enough")
		calls := 0
		err := s.Export(ctx, func(receipt.Record) error {
			calls++
			return stop
		})
		assert.ErrorIs(t, err, stop)
		assert.Equal(t, 1, calls)
	})

	t.Run("ExportReentrant", func(t *testing.T) {
		// An exporter that looks records up while the export streams must
		// not deadlock on the store's connections.
		s := open(t)
		r := NewRecord(NewSubject(), nil)
		_, _, err := s.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)

		require.NoError(t, s.Export(ctx, func(got receipt.Record) error {
			again, err := s.Get(ctx, got.ID)
			if err != nil {
				return err
			}
			_, err = s.Head(ctx, again.Subject)
			return err
		}))
	})

	t.Run("AllFields", func(t *testing.T) {
		s := open(t)
		r := NewDeviceRecord(NewSubject(), nil, NewKey())
		r.Schema = 2
		r.Language = receipt.LangEn
		r.Decision = receipt.DecisionUpdated
		r.ShownAt = time.Date(2026, 11, 29, 12, 30, 15, 123456789, time.FixedZone("CST", 8*60*60))
		r.States = map[string]string{"basic": receipt.StateGiven, "push": receipt.StateWithdrawn, "location": receipt.StateRefused}
		r.Body = []byte(`{"attestation":"device","receipt":{"schema":"kaiconn-receipt/2"}}`)

		stored, created, err := s.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)
		assert.True(t, created)
		assert.Equal(t, Normalised(r), stored)
		assert.Equal(t, 123456000, stored.ShownAt.Nanosecond())
		got, err := s.Get(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, stored, got)

		// The stored record is the store's own: changing the caller's map
		// afterwards changes nothing.
		r.States["basic"] = receipt.StateRefused
		got, err = s.Get(ctx, r.ID)
		require.NoError(t, err)
		assert.Equal(t, receipt.StateGiven, got.States["basic"])
	})

	t.Run("Reask", func(t *testing.T) {
		// The store, not the caller, tells a receipt that answers a newer
		// policy version than the subject's previous one.
		s := open(t)
		subject := NewSubject()
		var prev *receipt.Record
		for _, tt := range []struct {
			version string
			claim   bool // what the caller says; the store ignores it
			reask   bool
		}{
			{"2022-10", true, false}, // the first receipt
			{"2022-10", true, false},
			{"2025-06", false, true},
			{"2025-06", false, false},
		} {
			r := NewRecord(subject, prev)
			r.PolicyVersion, r.Reask = tt.version, tt.claim
			stored, _, err := s.Put(ctx, r, receipt.PutOptions{})
			require.NoError(t, err)
			assert.Equal(t, tt.reask, stored.Reask, "policy %s", tt.version)
			got, err := s.Get(ctx, r.ID)
			require.NoError(t, err)
			assert.Equal(t, stored, got)
			prev = &r
		}
	})

	t.Run("ErrSchema", func(t *testing.T) {
		s := open(t)
		for _, schema := range []int{0, 4} {
			r := NewRecord(NewSubject(), nil)
			r.Schema = schema
			_, _, err := s.Put(ctx, r, receipt.PutOptions{})
			assert.Equal(t, errs.Invalid, errs.Code(err), "schema %d", schema)
		}
		assert.Zero(t, count(t, s))
	})

	t.Run("Tip", func(t *testing.T) {
		s := open(t)
		_, err := s.Tip(ctx, NewSubject())
		assert.Equal(t, errs.NotFound, errs.Code(err))
		r := NewRecord(NewSubject(), nil)
		_, _, err = s.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)
		next := NewRecord(r.Subject, &r)
		_, _, err = s.Put(ctx, next, receipt.PutOptions{})
		require.NoError(t, err)
		head, err := s.Head(ctx, r.Subject)
		require.NoError(t, err)
		tip, err := s.Tip(ctx, r.Subject)
		require.NoError(t, err)
		want := head
		want.Body, want.Countersig = []byte{}, ""
		assert.Equal(t, want, tip, "the head, without its body and countersignature")
	})
	t.Run("Ping", func(t *testing.T) {
		s := open(t)
		require.NoError(t, s.Ping(ctx), "an empty store answers")
		_, _, err := s.Put(ctx, NewRecord(NewSubject(), nil), receipt.PutOptions{})
		require.NoError(t, err)
		require.NoError(t, s.Ping(ctx))
	})
	t.Run("Keys", func(t *testing.T) { runKeys(t, open) })
	t.Run("Tickets", func(t *testing.T) { runTickets(t, open) })
	t.Run("Nonces", func(t *testing.T) { runNonces(t, open) })
	t.Run("Batch", func(t *testing.T) { runBatch(t, open) })

	t.Run("Persistence", func(t *testing.T) {
		s := open(t)
		re, ok := s.(Reopener)
		if !ok {
			t.Skip("this opener cannot reopen its store")
		}
		first := NewRecord(NewSubject(), nil)
		second := NewRecord(first.Subject, &first)
		for _, r := range []receipt.Record{first, second} {
			_, _, err := s.Put(ctx, r, receipt.PutOptions{})
			require.NoError(t, err)
		}
		require.NoError(t, s.Close())

		s = re.Reopen(t)
		all, err := s.Subject(ctx, first.Subject)
		require.NoError(t, err)
		assert.Equal(t, []receipt.Record{Normalised(first), Normalised(second)}, all)

		// The chain goes on from where it was, not from scratch.
		_, _, err = s.Put(ctx, NewRecord(first.Subject, nil), receipt.PutOptions{})
		assert.Equal(t, errs.Conflict, errs.Code(err))
		_, created, err := s.Put(ctx, NewRecord(first.Subject, &second), receipt.PutOptions{})
		require.NoError(t, err)
		assert.True(t, created)
	})
}

// CheckChain reports the first break in a subject's records, given oldest
// first: the first must have no predecessor and each next one must name the
// hash of the one before.
func CheckChain(records []receipt.Record) error {
	prev := ""
	for i, r := range records {
		if r.PrevHash != prev {
			return fmt.Errorf("record %d (%s): prev hash %q, want %q", i, r.ID, r.PrevHash, prev)
		}
		prev = r.Hash
	}
	return nil
}

type putResult struct {
	stored  receipt.Record
	created bool
	err     error
}

// race Puts n records at once, released together so that they really
// contend, and returns every answer.
func race(n int, record func(i int) receipt.Record, s receipt.Store) []putResult {
	results := make([]putResult, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		r := record(i)
		wg.Go(func() {
			<-start
			stored, created, err := s.Put(context.Background(), r, receipt.PutOptions{})
			results[i] = putResult{stored, created, err}
		})
	}
	close(start)
	wg.Wait()
	return results
}

func count(t *testing.T, s receipt.Store) int {
	t.Helper()
	n := 0
	require.NoError(t, s.Export(context.Background(), func(receipt.Record) error {
		n++
		return nil
	}))
	return n
}
