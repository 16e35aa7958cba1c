package memstore

import (
	"time"

	"context"
	"github.com/kaiconn/consent/store/internal/put"
	"slices"
	"sync"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Store is an in-memory receipt.Store. The zero value is not usable; call New.
type Store struct {
	mu      sync.Mutex
	byID    map[string]int // index into records
	records []receipt.Record
	// FailPut, when set, makes Put fail with its error before storing
	// anything, as a broken disk would.
	FailPut error
}

var _ receipt.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store { return &Store{byID: map[string]int{}} }

// Put stores r unless a record with its id exists or its prevHash is not the
// subject's head; both checks and the write happen under one lock.
func (s *Store) Put(_ context.Context, r receipt.Record) (receipt.Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.byID[r.ID]; ok {
		return clone(s.records[i]), false, nil
	}
	if s.FailPut != nil {
		return receipt.Record{}, false, s.FailPut
	}
	r, err := put.Prepare(r, time.Now())
	if err != nil {
		return receipt.Record{}, false, err
	}
	head := ""
	if h, ok := s.head(r.Subject); ok {
		head = h.Hash
	}
	if r.PrevHash != head {
		return receipt.Record{}, false, put.ErrChain()
	}
	s.byID[r.ID] = len(s.records)
	s.records = append(s.records, clone(r))
	return clone(r), true, nil
}

// Get returns the record with that id.
func (s *Store) Get(_ context.Context, id string) (receipt.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.byID[id]
	if !ok {
		return receipt.Record{}, errs.New(errs.NotFound, "receipt not found")
	}
	return clone(s.records[i]), nil
}

// Subject returns the subject's records, oldest first.
func (s *Store) Subject(_ context.Context, subject string) ([]receipt.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []receipt.Record
	for _, r := range s.records {
		if r.Subject == subject {
			out = append(out, clone(r))
		}
	}
	return out, nil
}

// Head returns the subject's newest record.
func (s *Store) Head(_ context.Context, subject string) (receipt.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.head(subject)
	if !ok {
		return receipt.Record{}, errs.New(errs.NotFound, "subject has no receipt")
	}
	return clone(r), nil
}

func (s *Store) head(subject string) (receipt.Record, bool) {
	for i := len(s.records) - 1; i >= 0; i-- {
		if s.records[i].Subject == subject {
			return s.records[i], true
		}
	}
	return receipt.Record{}, false
}

// Export calls fn for every record in the order they were received.
func (s *Store) Export(_ context.Context, fn func(receipt.Record) error) error {
	s.mu.Lock()
	records := slices.Clone(s.records)
	s.mu.Unlock()
	for _, r := range records {
		if err := fn(clone(r)); err != nil {
			return err
		}
	}
	return nil
}

// Len returns how many records are stored.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// Close does nothing.
func (s *Store) Close() error { return nil }

// clone copies the body so that callers cannot change what is stored.
func clone(r receipt.Record) receipt.Record {
	r.Body = slices.Clone(r.Body)
	return r
}
