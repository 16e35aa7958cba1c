package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// NonceCounter is implemented by the test openers of stores that can tell
// how many nonces they still hold, so that the suite sees expired ones
// pruned.
type NonceCounter interface {
	NonceCount(t *testing.T) int
}

// Clocked is implemented by the test openers of stores whose clock the
// suite can set, so that it tests expiry by moving the clock instead of
// waiting for it: on a busy machine no margin is long enough.
type Clocked interface {
	SetClock(now func() time.Time)
}

// Clock is a clock that moves only when told, safe to read from the
// store's own goroutines.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads at until it is moved.
func NewClock(at time.Time) *Clock { return &Clock{now: at} }

// Now is the clock's reading.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock d ahead.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// runKeys checks the device-key rules of Put, and Enroll and KeySubject.
func runKeys(t *testing.T, open func(t *testing.T) receipt.Store) {
	ctx := context.Background()
	none := receipt.PutOptions{}

	// chain stores a subject's first receipt, signed by key.
	chain := func(t *testing.T, s receipt.Store, key string) receipt.Record {
		t.Helper()
		r := NewDeviceRecord(NewSubject(), nil, key)
		_, created, err := s.Put(ctx, r, none)
		require.NoError(t, err)
		require.True(t, created)
		return r
	}
	// refused checks that Put refused r with code and left no trace.
	refused := func(t *testing.T, s receipt.Store, r receipt.Record, code string, err error) {
		t.Helper()
		assert.Equal(t, code, errs.Code(err), "%v", err)
		_, err = s.Get(ctx, r.ID)
		assert.Equal(t, errs.NotFound, errs.Code(err), "a refused receipt must not be stored")
	}
	keySubject := func(t *testing.T, s receipt.Store, key string) string {
		t.Helper()
		subject, err := s.KeySubject(ctx, key)
		if errs.Code(err) == errs.NotFound {
			return ""
		}
		require.NoError(t, err)
		return subject
	}

	t.Run("NewSubjectEnrollsKey", func(t *testing.T) {
		s := open(t)
		key := NewKey()
		first := chain(t, s, key)
		assert.Equal(t, first.Subject, keySubject(t, s, key))

		// The enrolled key goes on signing its subject's chain.
		next := NewDeviceRecord(first.Subject, &first, key)
		_, created, err := s.Put(ctx, next, none)
		require.NoError(t, err)
		assert.True(t, created)
	})

	t.Run("ErrKeyOfAnotherSubject", func(t *testing.T) {
		// A key signs for one subject: it cannot start a second one, with
		// or without a ticket.
		s := open(t)
		key := NewKey()
		first := chain(t, s, key)
		for _, opt := range []receipt.PutOptions{none, {EnrollKey: true}} {
			other := NewDeviceRecord(NewSubject(), nil, key)
			_, created, err := s.Put(ctx, other, opt)
			assert.False(t, created)
			refused(t, s, other, errs.Forbidden, err)
			all, err := s.Subject(ctx, other.Subject)
			require.NoError(t, err)
			assert.Empty(t, all, "the refused receipt must not create its subject")
		}
		assert.Equal(t, first.Subject, keySubject(t, s, key))
	})

	t.Run("ErrKeyNotEnrolled", func(t *testing.T) {
		// The takeover: a fresh key learnt a subject and its head, and
		// signs the next receipt of that chain.
		s := open(t)
		first := chain(t, s, NewKey())
		stranger := NewKey()
		takeover := NewDeviceRecord(first.Subject, &first, stranger)
		_, created, err := s.Put(ctx, takeover, none)
		assert.False(t, created)
		refused(t, s, takeover, errs.Forbidden, err)
		assert.Empty(t, keySubject(t, s, stranger), "a refused receipt must enroll nothing")

		head, err := s.Head(ctx, first.Subject)
		require.NoError(t, err)
		assert.Equal(t, first.ID, head.ID)
	})

	t.Run("ErrKeyNotEnrolledAfterServerReceipt", func(t *testing.T) {
		// A subject created by a form post has no key at all; a device
		// joins it only with a ticket.
		s := open(t)
		first := NewRecord(NewSubject(), nil)
		_, _, err := s.Put(ctx, first, none)
		require.NoError(t, err)
		r := NewDeviceRecord(first.Subject, &first, NewKey())
		_, _, err = s.Put(ctx, r, none)
		refused(t, s, r, errs.Forbidden, err)
	})

	t.Run("EnrollKeyOption", func(t *testing.T) {
		s := open(t)
		first := chain(t, s, NewKey())
		key := NewKey()
		second := NewDeviceRecord(first.Subject, &first, key)
		stored, created, err := s.Put(ctx, second, receipt.PutOptions{EnrollKey: true})
		require.NoError(t, err)
		assert.True(t, created)
		assert.Equal(t, Normalised(second), stored)
		assert.Equal(t, first.Subject, keySubject(t, s, key))

		// Enrolled now: the next receipt needs no ticket.
		third := NewDeviceRecord(first.Subject, &second, key)
		_, created, err = s.Put(ctx, third, none)
		require.NoError(t, err)
		assert.True(t, created)
	})

	t.Run("ServerAttestedAppends", func(t *testing.T) {
		// The server vouches for a form post with a credential of its own
		// (the subject cookie); there is no device key to check.
		s := open(t)
		first := chain(t, s, NewKey())
		r := NewRecord(first.Subject, &first)
		_, created, err := s.Put(ctx, r, none)
		require.NoError(t, err)
		assert.True(t, created)
	})

	t.Run("ChainCheckedFirst", func(t *testing.T) {
		// Both broken: the chain is what Put reports. (The API answers both
		// alike anyway, so that neither tells which subjects exist.)
		s := open(t)
		first := chain(t, s, NewKey())
		r := NewDeviceRecord(first.Subject, nil, NewKey())
		_, _, err := s.Put(ctx, r, none)
		refused(t, s, r, errs.Conflict, err)
	})

	t.Run("IdempotentRetry", func(t *testing.T) {
		// A retry gets the stored record back whatever it carries, even
		// after its key's rules would refuse it as a new receipt.
		s := open(t)
		key := NewKey()
		first := chain(t, s, key)
		second := NewDeviceRecord(first.Subject, &first, key)
		_, _, err := s.Put(ctx, second, none)
		require.NoError(t, err)

		for _, retry := range []receipt.Record{first, second, NewDeviceRecord(NewSubject(), nil, NewKey())} {
			if retry.Subject != first.Subject {
				retry.ID = first.ID // another key and subject under a stored id
			}
			stored, created, err := s.Put(ctx, retry, none)
			require.NoError(t, err)
			assert.False(t, created)
			assert.Equal(t, retry.ID, stored.ID)
			assert.Equal(t, key, stored.DeviceKey)
		}
	})

	t.Run("ConcurrentKeyRace", func(t *testing.T) {
		// One fresh key starts eight subjects at once: one wins the key,
		// the others are refused, and only the winner's subject exists.
		s := open(t)
		key := NewKey()
		results := race(8, func(int) receipt.Record { return NewDeviceRecord(NewSubject(), nil, key) }, s)
		var winner string
		for _, res := range results {
			switch {
			case res.err == nil && res.created:
				require.Empty(t, winner, "two subjects enrolled one key")
				winner = res.stored.Subject
			default:
				assert.Equal(t, errs.Forbidden, errs.Code(res.err), "%v", res.err)
			}
		}
		require.NotEmpty(t, winner)
		assert.Equal(t, winner, keySubject(t, s, key))
		assert.Equal(t, 1, count(t, s))
	})

	t.Run("Enroll", func(t *testing.T) {
		s := open(t)
		first := chain(t, s, NewKey())
		key := NewKey()
		require.NoError(t, s.Enroll(ctx, first.Subject, key, "statement-1"))
		assert.Equal(t, first.Subject, keySubject(t, s, key))
		// Again for the same subject: nothing to do.
		require.NoError(t, s.Enroll(ctx, first.Subject, key, "statement-2"))

		// The enrolled key may now sign the subject's next receipt.
		next := NewDeviceRecord(first.Subject, &first, key)
		_, created, err := s.Put(ctx, next, none)
		require.NoError(t, err)
		assert.True(t, created)

		other := chain(t, s, NewKey())
		for _, tt := range []struct {
			name               string
			subject, thumb, by string
			code               string
		}{
			{"ErrKeyOfAnotherSubject", other.Subject, key, "statement-3", errs.Forbidden},
			{"ErrNoSuchSubject", NewSubject(), NewKey(), "statement-4", errs.NotFound},
			{"ErrEmptySubject", "", NewKey(), "statement-5", errs.Invalid},
			{"ErrEmptyThumbprint", other.Subject, "", "statement-6", errs.Invalid},
			{"ErrEmptyBy", other.Subject, NewKey(), "", errs.Invalid},
		} {
			t.Run(tt.name, func(t *testing.T) {
				err := s.Enroll(ctx, tt.subject, tt.thumb, tt.by)
				assert.Equal(t, tt.code, errs.Code(err), "%v", err)
				if tt.thumb != "" && tt.thumb != key {
					assert.Empty(t, keySubject(t, s, tt.thumb))
				}
			})
		}
		assert.Equal(t, first.Subject, keySubject(t, s, key))
	})

	t.Run("ErrKeySubjectNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.KeySubject(ctx, NewKey())
		assert.Equal(t, errs.NotFound, errs.Code(err))
	})

	t.Run("Persistence", func(t *testing.T) {
		s := open(t)
		re, ok := s.(Reopener)
		if !ok {
			t.Skip("this opener cannot reopen its store")
		}
		key, enrolled := NewKey(), NewKey()
		first := chain(t, s, key)
		require.NoError(t, s.Enroll(ctx, first.Subject, enrolled, "statement-1"))
		require.NoError(t, s.Close())

		s = re.Reopen(t)
		assert.Equal(t, first.Subject, keySubject(t, s, key))
		assert.Equal(t, first.Subject, keySubject(t, s, enrolled))
		r := NewDeviceRecord(first.Subject, &first, NewKey())
		_, _, err := s.Put(ctx, r, receipt.PutOptions{})
		assert.Equal(t, errs.Forbidden, errs.Code(err))
	})
}

// runNonces checks UseNonce.
func runNonces(t *testing.T, open func(t *testing.T) receipt.Store) {
	ctx := context.Background()

	t.Run("SingleUse", func(t *testing.T) {
		s := open(t)
		nonce := uuid.NewString()
		expires := time.Now().Add(time.Hour)
		require.NoError(t, s.UseNonce(ctx, nonce, expires))
		err := s.UseNonce(ctx, nonce, expires)
		assert.Equal(t, errs.Conflict, errs.Code(err), "%v", err)
		// Another nonce is unaffected.
		require.NoError(t, s.UseNonce(ctx, uuid.NewString(), expires))
	})

	t.Run("ConcurrentUse", func(t *testing.T) {
		s := open(t)
		nonce := uuid.NewString()
		expires := time.Now().Add(time.Hour)
		errc := make(chan error, 8)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 8 {
			wg.Go(func() {
				<-start
				errc <- s.UseNonce(ctx, nonce, expires)
			})
		}
		close(start)
		wg.Wait()
		close(errc)
		ok := 0
		for err := range errc {
			if err == nil {
				ok++
				continue
			}
			assert.Equal(t, errs.Conflict, errs.Code(err), "%v", err)
		}
		assert.Equal(t, 1, ok)
	})

	t.Run("ErrExpired", func(t *testing.T) {
		s := open(t)
		err := s.UseNonce(ctx, uuid.NewString(), time.Now().Add(-time.Second))
		assert.Equal(t, errs.Conflict, errs.Code(err), "%v", err)
	})

	t.Run("ErrEmpty", func(t *testing.T) {
		s := open(t)
		err := s.UseNonce(ctx, "", time.Now().Add(time.Hour))
		assert.Equal(t, errs.Invalid, errs.Code(err), "%v", err)
	})

	t.Run("Pruned", func(t *testing.T) {
		s := open(t)
		counter, ok := s.(NonceCounter)
		clocked, ok2 := s.(Clocked)
		if !ok || !ok2 {
			t.Skip("this opener cannot count nonces or set the store's clock")
		}
		clock := NewClock(time.Date(2026, 11, 29, 15, 59, 0, 0, time.UTC))
		clocked.SetClock(clock.Now)
		short := uuid.NewString()
		shortExpiry := clock.Now().Add(time.Minute)
		require.NoError(t, s.UseNonce(ctx, short, shortExpiry))
		require.NoError(t, s.UseNonce(ctx, uuid.NewString(), clock.Now().Add(time.Hour)))
		assert.Equal(t, 2, counter.NonceCount(t))

		// Still valid a moment before it expires: the next use keeps it...
		clock.Advance(time.Minute - time.Microsecond)
		require.NoError(t, s.UseNonce(ctx, uuid.NewString(), clock.Now().Add(time.Hour)))
		assert.Equal(t, 3, counter.NonceCount(t))
		assert.Equal(t, errs.Conflict, errs.Code(s.UseNonce(ctx, short, shortExpiry)), "used, not yet expired")

		// ...and once it expired, the next use forgets it...
		clock.Advance(time.Microsecond)
		require.NoError(t, s.UseNonce(ctx, uuid.NewString(), clock.Now().Add(time.Hour)))
		assert.Equal(t, 3, counter.NonceCount(t))
		// ...and it still cannot be used again.
		err := s.UseNonce(ctx, short, shortExpiry)
		assert.Equal(t, errs.Conflict, errs.Code(err))
	})
}

// runBatch checks what group commit must not change: each Put succeeds or
// fails on its own, whatever else shares its transaction.
func runBatch(t *testing.T, open func(t *testing.T) receipt.Store) {
	ctx := context.Background()

	t.Run("RefusedNeighbours", func(t *testing.T) {
		// Good and bad receipts released together: every good one is
		// stored, every bad one refused with its own code.
		s := open(t)
		key := NewKey()
		base := NewDeviceRecord(NewSubject(), nil, key)
		_, _, err := s.Put(ctx, base, receipt.PutOptions{})
		require.NoError(t, err)

		type want struct {
			r    receipt.Record
			code string
		}
		var cases []want
		for i := range 24 {
			switch i % 4 {
			case 0: // good: a new subject with a new key
				cases = append(cases, want{NewDeviceRecord(NewSubject(), nil, NewKey()), ""})
			case 1: // fork attempt on base's subject: a wrong predecessor
				cases = append(cases, want{NewDeviceRecord(base.Subject, nil, key), errs.Conflict})
			case 2: // base's key on another subject
				cases = append(cases, want{NewDeviceRecord(NewSubject(), nil, key), errs.Forbidden})
			case 3: // invalid
				r := NewRecord(NewSubject(), nil)
				r.Hash = ""
				cases = append(cases, want{r, errs.Invalid})
			}
		}
		results := race(len(cases), func(i int) receipt.Record { return cases[i].r }, s)
		for i, res := range results {
			if cases[i].code == "" {
				require.NoError(t, res.err, "case %d", i)
				assert.True(t, res.created, "case %d", i)
				got, err := s.Get(ctx, cases[i].r.ID)
				require.NoError(t, err, "case %d", i)
				assert.Equal(t, Normalised(cases[i].r), got)
				continue
			}
			assert.Equal(t, cases[i].code, errs.Code(res.err), "case %d: %v", i, res.err)
		}
		assert.Equal(t, 1+len(cases)/4, count(t, s))
	})

	t.Run("ChainsInOneBatch", func(t *testing.T) {
		// Many devices each chaining receipts as fast as acknowledgements
		// come: every receipt after the first is checked against a head
		// that may have been written in the same transaction.
		s := open(t)
		const devices, each = 16, 6
		var wg sync.WaitGroup
		subjects := make([]string, devices)
		errc := make(chan error, devices)
		for i := range devices {
			subjects[i] = NewSubject()
			wg.Go(func() {
				key := NewKey()
				var prev *receipt.Record
				for range each {
					r := NewDeviceRecord(subjects[i], prev, key)
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
}
