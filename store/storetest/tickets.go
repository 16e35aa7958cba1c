package storetest

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// runTickets checks what a ticket may do in the store (issue 18): its id is
// good once, whoever races for it, and the subject it names counts only
// while that subject has no record (receipt.PutOptions.NewSubject).
func runTickets(t *testing.T, open func(t *testing.T) receipt.Store) {
	ctx := context.Background()
	fresh := receipt.PutOptions{NewSubject: true}

	t.Run("OneIdStoredOnce", func(t *testing.T) {
		// Eight posts of one page at once: each built its own receipt
		// (another hash) under the ticket's id. One is stored; every other
		// gets that one back, not created, and nothing else is stored.
		s := open(t)
		subject := NewSubject()
		id := NewRecord(subject, nil).ID
		results := race(8, func(int) receipt.Record {
			r := NewRecord(subject, nil)
			r.ID = id
			return r
		}, s)
		var winner receipt.Record
		created := 0
		for _, res := range results {
			require.NoError(t, res.err)
			if res.created {
				created++
				winner = res.stored
			}
		}
		require.Equal(t, 1, created)
		for _, res := range results {
			assert.Equal(t, winner, res.stored, "every post gets the stored receipt")
		}
		assert.Equal(t, 1, count(t, s))
	})

	t.Run("NewSubjectFirstRecord", func(t *testing.T) {
		s := open(t)
		key := NewKey()
		first := NewDeviceRecord(NewSubject(), nil, key)
		_, created, err := s.Put(ctx, first, fresh)
		require.NoError(t, err)
		assert.True(t, created)
		owner, err := s.KeySubject(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, first.Subject, owner, "a subject's first record enrolls its key")
	})

	t.Run("ErrNewSubjectHasRecords", func(t *testing.T) {
		// A ticket's subject that has decided is joined by nobody on that
		// ticket: not by a server-attested record, not by a new key even
		// with the head right, not with EnrollKey beside it.
		s := open(t)
		first := NewRecord(NewSubject(), nil)
		_, _, err := s.Put(ctx, first, receipt.PutOptions{})
		require.NoError(t, err)
		key := NewKey()
		for name, r := range map[string]receipt.Record{
			"ServerAttested": NewRecord(first.Subject, &first),
			"Device":         NewDeviceRecord(first.Subject, &first, key),
		} {
			for _, opt := range []receipt.PutOptions{fresh, {NewSubject: true, EnrollKey: true}} {
				_, created, err := s.Put(ctx, r, opt)
				assert.False(t, created, name)
				assert.Equal(t, errs.Forbidden, errs.Code(err), "%s: %v", name, err)
				_, err = s.Get(ctx, r.ID)
				assert.Equal(t, errs.NotFound, errs.Code(err), "%s: nothing stored", name)
			}
		}
		_, err = s.KeySubject(ctx, key)
		assert.Equal(t, errs.NotFound, errs.Code(err), "no key enrolled")
		all, err := s.Subject(ctx, first.Subject)
		require.NoError(t, err)
		assert.Len(t, all, 1)
	})

	t.Run("NewSubjectRace", func(t *testing.T) {
		// Eight holders of one ticket race to start its subject, each with
		// a key of its own: one record and one key; the others are refused
		// (whichever way the store saw the race) and enroll nothing.
		s := open(t)
		subject := NewSubject()
		const n = 8
		keys := make([]string, n)
		for i := range keys {
			keys[i] = NewKey()
		}
		type result struct {
			created bool
			err     error
		}
		results := make([]result, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			r := NewDeviceRecord(subject, nil, keys[i])
			wg.Go(func() {
				<-start
				_, created, err := s.Put(ctx, r, fresh)
				results[i] = result{created, err}
			})
		}
		close(start)
		wg.Wait()
		enrolled := 0
		for i, res := range results {
			if res.created {
				require.NoError(t, res.err)
			} else {
				assert.Contains(t, []string{errs.Forbidden, errs.Conflict}, errs.Code(res.err), "%v", res.err)
			}
			owner, err := s.KeySubject(ctx, keys[i])
			if err == nil {
				assert.Equal(t, subject, owner)
				assert.True(t, res.created, "only the winner's key is enrolled")
				enrolled++
			} else {
				assert.Equal(t, errs.NotFound, errs.Code(err))
			}
		}
		assert.Equal(t, 1, enrolled)
		all, err := s.Subject(ctx, subject)
		require.NoError(t, err)
		assert.Len(t, all, 1)
	})
}
