// Package storetest is the conformance suite of receipt.Store: every adapter
// (memstore, SQLite, PostgreSQL) runs it, so that the API can rely on the
// contract written on the interface and nothing more.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/receipt/receipttest"
)

// Run runs the suite; open returns a new, empty store for each subtest and
// is responsible for closing it (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) receipt.Store) {
	ctx := context.Background()

	t.Run("OKPutGet", func(t *testing.T) {
		s := open(t)
		r := Chain(t, receipt.NewSubject(), 1)[0]
		got, created, err := s.Put(ctx, r)
		require.NoError(t, err)
		assert.True(t, created)
		assertSame(t, r, got)
		got, err = s.Get(ctx, r.ID)
		require.NoError(t, err)
		assertSame(t, r, got)
	})
	t.Run("OKPutIdempotent", func(t *testing.T) {
		s := open(t)
		r := Chain(t, receipt.NewSubject(), 1)[0]
		_, _, err := s.Put(ctx, r)
		require.NoError(t, err)
		retry := r
		retry.Countersig = "another countersignature"
		retry.ReceivedAt = r.ReceivedAt.Add(time.Hour)
		got, created, err := s.Put(ctx, retry)
		require.NoError(t, err)
		assert.False(t, created)
		assertSame(t, r, got)
	})
	t.Run("ErrChainConflict", func(t *testing.T) {
		s := open(t)
		subject := receipt.NewSubject()
		chain := Chain(t, subject, 2)
		_, _, err := s.Put(ctx, chain[0])
		require.NoError(t, err)
		fork := Chain(t, subject, 1)[0] // prevHash "" although the subject has a head
		_, _, err = s.Put(ctx, fork)
		assert.Equal(t, errs.Conflict, errs.Code(err))
		_, err = s.Get(ctx, fork.ID)
		assert.Equal(t, errs.NotFound, errs.Code(err), "a conflicting record is not stored")
		_, _, err = s.Put(ctx, chain[1])
		require.NoError(t, err)
	})
	t.Run("ErrFirstWithPrevHash", func(t *testing.T) {
		s := open(t)
		chain := Chain(t, receipt.NewSubject(), 2)
		_, _, err := s.Put(ctx, chain[1])
		assert.Equal(t, errs.Conflict, errs.Code(err))
	})
	t.Run("ErrGetNotFound", func(t *testing.T) {
		s := open(t)
		_, err := s.Get(ctx, "0f8fad5b-d9cb-469f-a165-70867728950e")
		assert.Equal(t, errs.NotFound, errs.Code(err))
	})
	t.Run("OKHeadAndSubject", func(t *testing.T) {
		s := open(t)
		subject := receipt.NewSubject()
		chain := Chain(t, subject, 3)
		_, err := s.Head(ctx, subject)
		assert.Equal(t, errs.NotFound, errs.Code(err))
		other := Chain(t, receipt.NewSubject(), 1)[0]
		for i, r := range chain {
			_, _, err := s.Put(ctx, r)
			require.NoError(t, err)
			if i == 0 {
				_, _, err = s.Put(ctx, other)
				require.NoError(t, err)
			}
		}
		head, err := s.Head(ctx, subject)
		require.NoError(t, err)
		assertSame(t, chain[2], head)
		got, err := s.Subject(ctx, subject)
		require.NoError(t, err)
		require.Len(t, got, 3)
		for i := range chain {
			assertSame(t, chain[i], got[i])
		}
		none, err := s.Subject(ctx, receipt.NewSubject())
		require.NoError(t, err)
		assert.Empty(t, none)
	})
	t.Run("OKExportInReceivedOrder", func(t *testing.T) {
		s := open(t)
		a, b := Chain(t, receipt.NewSubject(), 2), Chain(t, receipt.NewSubject(), 1)
		want := []receipt.Record{a[0], b[0], a[1]}
		for _, r := range want {
			_, _, err := s.Put(ctx, r)
			require.NoError(t, err)
		}
		var got []receipt.Record
		require.NoError(t, s.Export(ctx, func(r receipt.Record) error { got = append(got, r); return nil }))
		require.Len(t, got, 3)
		for i := range want {
			assertSame(t, want[i], got[i])
		}
	})
	t.Run("OKConcurrentForksOneWins", func(t *testing.T) {
		s := open(t)
		subject := receipt.NewSubject()
		forks := make([]receipt.Record, 6)
		for i := range forks {
			forks[i] = Chain(t, subject, 1)[0]
		}
		var wg sync.WaitGroup
		results := make([]error, len(forks))
		for i := range forks {
			wg.Go(func() { _, _, results[i] = s.Put(ctx, forks[i]) })
		}
		wg.Wait()
		won := 0
		for _, err := range results {
			switch errs.Code(err) {
			case "":
				won++
			case errs.Conflict:
			default:
				t.Errorf("Put: %v", err)
			}
		}
		assert.Equal(t, 1, won, "exactly one fork is stored")
		got, err := s.Subject(ctx, subject)
		require.NoError(t, err)
		assert.Len(t, got, 1)
	})
}

// Chain returns n records of subject, each linked to the one before, built
// from real device-signed receipts.
func Chain(t *testing.T, subject string, n int) []receipt.Record {
	t.Helper()
	signer := receipt.GenerateEd25519Signer()
	at := time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC)
	prev := ""
	out := make([]receipt.Record, 0, n)
	for i := range n {
		issued := at.Add(time.Duration(i) * time.Minute)
		s, err := receipt.Sign(receipt.New(receipttest.Params(subject, prev, issued)), signer)
		require.NoError(t, err)
		body, err := s.Canonical()
		require.NoError(t, err)
		r := receipt.Record{
			ID:            s.Receipt.ID,
			Subject:       subject,
			PrevHash:      prev,
			Hash:          receipt.HashBytes(body),
			PolicyVersion: s.Receipt.Policy.Version,
			Surface:       s.Receipt.Surface,
			IssuedAt:      s.Receipt.IssuedTime(),
			ReceivedAt:    issued.Add(2 * time.Second),
			Body:          body,
			Countersig:    "eyJhbGciOiJFZERTQSJ9.e30.c2ln", // the store does not interpret it
			KeyID:         "test-kid",
		}
		out = append(out, r)
		prev = r.Hash
	}
	return out
}

func assertSame(t *testing.T, want, got receipt.Record) {
	t.Helper()
	assert.Equal(t, want.ID, got.ID)
	assert.Equal(t, want.Subject, got.Subject)
	assert.Equal(t, want.PrevHash, got.PrevHash)
	assert.Equal(t, want.Hash, got.Hash)
	assert.Equal(t, want.PolicyVersion, got.PolicyVersion)
	assert.Equal(t, want.Surface, got.Surface)
	assert.True(t, want.IssuedAt.Equal(got.IssuedAt), "IssuedAt: want %s, got %s", want.IssuedAt, got.IssuedAt)
	assert.True(t, want.ReceivedAt.Equal(got.ReceivedAt), "ReceivedAt: want %s, got %s", want.ReceivedAt, got.ReceivedAt)
	assert.Equal(t, string(want.Body), string(got.Body))
	assert.Equal(t, want.Countersig, got.Countersig)
	assert.Equal(t, want.KeyID, got.KeyID)
}
