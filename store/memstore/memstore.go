package memstore

import (
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/put"
)

// Store is an in-memory receipt.Store. The zero value is not usable; call New.
type Store struct {
	mu      sync.Mutex
	byID    map[string]int // index into records
	heads   map[string]int // subject -> index of its newest record
	keys    map[string]string
	nonces  map[string]time.Time
	records []receipt.Record
	cons    *consoleState // the console's operators, sessions and audit log
	now     put.Clock     // nil: the system's
	ret     retention     // endings, holds and purge runs (retention.go)
	// FailPut, when set, makes Put fail with its error before storing
	// anything, as a broken disk would.
	FailPut error
	// FailPing, when set, makes Ping fail with it, as an unreachable
	// database would.
	FailPing error
}

var _ receipt.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		byID:   map[string]int{},
		heads:  map[string]int{},
		keys:   map[string]string{},
		nonces: map[string]time.Time{},
	}
}

// Put stores r unless a record with its id exists, its prevHash is not the
// subject's head or its device key may not sign for the subject; the checks
// and the write happen under one lock.
func (s *Store) Put(_ context.Context, r receipt.Record, opt receipt.PutOptions) (receipt.Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.byID[r.ID]; ok {
		return clone(s.records[i]), false, nil
	}
	if s.FailPut != nil {
		return receipt.Record{}, false, s.FailPut
	}
	r, err := put.Prepare(r, s.now.Now())
	if err != nil {
		return receipt.Record{}, false, err
	}
	if _, ended := s.ret.endings[r.Subject]; ended {
		return receipt.Record{}, false, receipt.ErrEnded()
	}
	var f put.Facts
	if i, ok := s.heads[r.Subject]; ok {
		f.Head, f.HeadVersion = s.records[i].Hash, s.records[i].PolicyVersion
	}
	if r.DeviceKey != "" {
		f.KeySubject = s.keys[r.DeviceKey]
	}
	enroll, err := put.Check(&r, opt, f)
	if err != nil {
		return receipt.Record{}, false, err
	}
	if enroll {
		s.keys[r.DeviceKey] = r.Subject
	}
	s.byID[r.ID] = len(s.records)
	s.heads[r.Subject] = len(s.records)
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
	i, ok := s.heads[subject]
	if !ok {
		return receipt.Record{}, errs.New(errs.NotFound, "subject has no receipt")
	}
	return clone(s.records[i]), nil
}

// Tip is Head without the body and countersignature.
func (s *Store) Tip(ctx context.Context, subject string) (receipt.Record, error) {
	r, err := s.Head(ctx, subject)
	r.Body, r.Countersig = []byte{}, ""
	return r, err
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

// Enroll enrolls a device key for a subject that has a record.
func (s *Store) Enroll(_ context.Context, subject, thumbprint, by string) error {
	if err := put.CheckEnrollArgs(subject, thumbprint, by); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, has := s.heads[subject]
	write, err := put.CheckEnroll(subject, has, s.keys[thumbprint])
	if write {
		s.keys[thumbprint] = subject
	}
	return err
}

// KeySubject returns the subject a device key is enrolled for.
func (s *Store) KeySubject(_ context.Context, thumbprint string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	subject, ok := s.keys[thumbprint]
	if !ok {
		return "", put.KeyNotFound()
	}
	return subject, nil
}

// UseNonce records a nonce as used until it expires.
func (s *Store) UseNonce(_ context.Context, nonce string, expires time.Time) error {
	now := s.now.Now()
	if err := put.CheckNonce(nonce, expires, now); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, used := s.nonces[nonce]; used {
		return put.ErrNonce()
	}
	maps.DeleteFunc(s.nonces, func(_ string, exp time.Time) bool { return !exp.After(now) })
	s.nonces[nonce] = expires
	return nil
}

// Len returns how many records are stored.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// Ping fails with FailPing when it is set.
func (s *Store) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.FailPing
}

// Close does nothing.
func (s *Store) Close() error { return nil }

// clone copies the body and states so that callers cannot change what is
// stored.
func clone(r receipt.Record) receipt.Record {
	r.Body = slices.Clone(r.Body)
	r.States = maps.Clone(r.States)
	return r
}
