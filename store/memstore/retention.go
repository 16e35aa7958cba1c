package memstore

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/put"
)

var _ receipt.Retention = (*Store)(nil)

// retention is what the store keeps of ended chains, legal holds and purge
// runs; the zero value is empty.
type retention struct {
	endings map[string]receipt.Ending
	holds   map[string]receipt.Hold
	runs    []receipt.PurgeRun
	// counted keeps what the insights count of each tombstone (by index
	// into records): a memory store counts the insights from its records
	// on each call, and a purge must not change the counts.
	counted map[int]receipt.Record
}

// Erase implements receipt.Retention under the store's one lock, so no Put
// interleaves.
func (s *Store) Erase(_ context.Context, subject string, seal func(receipt.Record, int) (receipt.Ending, error)) (receipt.Ending, bool, error) {
	if subject == "" {
		return receipt.Ending{}, false, errs.New(errs.Invalid, "subject: must not be empty")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.ret.endings[subject]; ok {
		return cloneEnding(e), false, nil
	}
	i, ok := s.heads[subject]
	if !ok {
		return receipt.Ending{}, false, errs.New(errs.NotFound, "subject: has no receipt")
	}
	tip := clone(s.records[i])
	tip.Body, tip.Countersig = []byte{}, ""
	n := 0
	for _, r := range s.records {
		if r.Subject == subject {
			n++
		}
	}
	e, err := seal(tip, n)
	if err != nil {
		return receipt.Ending{}, false, err
	}
	e.Subject, e.Kind, e.EndedAt, e.PurgedAt = subject, receipt.EndErased, put.Time(e.EndedAt), time.Time{}
	if e.Record == nil {
		e.Record = []byte{}
	}
	if s.ret.endings == nil {
		s.ret.endings = map[string]receipt.Ending{}
	}
	s.ret.endings[subject] = cloneEnding(e)
	return e, true, nil
}

func cloneEnding(e receipt.Ending) receipt.Ending {
	e.Record = slices.Clone(e.Record)
	if e.Record == nil {
		e.Record = []byte{}
	}
	return e
}

// State implements receipt.Retention.
func (s *Store) State(_ context.Context, subject string) (receipt.SubjectState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st receipt.SubjectState
	if e, ok := s.ret.endings[subject]; ok {
		e = cloneEnding(e)
		st.Ending = &e
	}
	if h, ok := s.ret.holds[subject]; ok {
		st.Hold = &h
	}
	return st, nil
}

// Hold implements receipt.Retention.
func (s *Store) Hold(_ context.Context, h receipt.Hold) error {
	if err := receipt.CheckHold(h); err != nil {
		return err
	}
	if h.At.IsZero() {
		h.At = s.now.Now()
	}
	h.At = put.Time(h.At)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.heads[h.Subject]; !ok {
		return errs.New(errs.NotFound, "subject: has no receipt")
	}
	if s.ret.holds == nil {
		s.ret.holds = map[string]receipt.Hold{}
	}
	s.ret.holds[h.Subject] = h
	return nil
}

// Release implements receipt.Retention.
func (s *Store) Release(_ context.Context, subject string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.ret.holds[subject]; !ok {
		return errs.New(errs.NotFound, "subject: is not held")
	}
	delete(s.ret.holds, subject)
	return nil
}

// Purge implements receipt.Retention, all under the store's lock.
func (s *Store) Purge(_ context.Context, opt receipt.PurgeOptions) (receipt.PurgeResult, error) {
	if opt.Now.IsZero() {
		opt.Now = s.now.Now()
	}
	at := put.Time(opt.Now)
	s.mu.Lock()
	defer s.mu.Unlock()
	type due struct {
		subject, kind, head string
		ended               time.Time
	}
	var dues []due
	for subject, e := range s.ret.endings {
		if e.PurgedAt.IsZero() && !e.EndedAt.After(opt.Cutoff) {
			dues = append(dues, due{subject, e.Kind, e.HeadHash, e.EndedAt})
		}
	}
	for subject, i := range s.heads {
		head := s.records[i]
		if _, ended := s.ret.endings[subject]; ended || head.ReceivedAt.After(opt.Cutoff) {
			continue
		}
		given := false
		for _, st := range head.States {
			given = given || st == receipt.StateGiven
		}
		if !given {
			dues = append(dues, due{subject, receipt.EndWithdrawn, head.Hash, head.ReceivedAt})
		}
	}
	sort.Slice(dues, func(i, j int) bool { return dues[i].subject < dues[j].subject })
	var res receipt.PurgeResult
	for _, d := range dues {
		if _, held := s.ret.holds[d.subject]; held {
			res.Held++
			continue
		}
		res.Subjects++
		for i, r := range s.records {
			if r.Subject != d.subject || r.IsTombstone() {
				continue
			}
			res.Receipts++
			if opt.DryRun {
				continue
			}
			if s.ret.counted == nil {
				s.ret.counted = map[int]receipt.Record{}
			}
			s.ret.counted[i] = receipt.Record{IssuedAt: r.IssuedAt, ShownAt: r.ShownAt, Surface: r.Surface, Language: r.Language,
				PolicyVersion: r.PolicyVersion, Decision: r.Decision, Reask: r.Reask, States: r.States}
			s.records[i] = receipt.Record{
				ID: r.ID, Subject: r.Subject, PrevHash: r.PrevHash, Hash: r.Hash,
				PolicyVersion: r.PolicyVersion, Surface: r.Surface, IssuedAt: r.IssuedAt, ReceivedAt: r.ReceivedAt,
				Body: []byte{}, KeyID: r.KeyID, Schema: r.Schema, Reask: r.Reask,
				Ended: d.kind, PurgedAt: at,
			}
		}
		if opt.DryRun {
			continue
		}
		if s.ret.endings == nil {
			s.ret.endings = map[string]receipt.Ending{}
		}
		e, ok := s.ret.endings[d.subject]
		if !ok {
			e = receipt.Ending{Subject: d.subject, Kind: d.kind, EndedAt: d.ended, HeadHash: d.head, Record: []byte{}}
		}
		e.PurgedAt = at
		s.ret.endings[d.subject] = e
		for k, subject := range s.keys {
			if subject == d.subject {
				delete(s.keys, k)
			}
		}
	}
	return res, nil
}

// RecordPurge implements receipt.Retention.
func (s *Store) RecordPurge(_ context.Context, run receipt.PurgeRun) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ret.runs = append(s.ret.runs, run)
	return nil
}

// PurgeRuns implements receipt.Retention.
func (s *Store) PurgeRuns(_ context.Context, n int) ([]receipt.PurgeRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []receipt.PurgeRun
	for i := len(s.ret.runs) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, s.ret.runs[i])
	}
	return out, nil
}
