package memstore

import (
	"context"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

var _ console.Store = (*Store)(nil)

// consoleState is what the store keeps for the console. The insights are
// counted from the records on each call: a memory store holds few.
type consoleState struct {
	operators map[string]console.Operator
	sessions  map[string]console.Session
	audit     []console.Entry
}

func (s *Store) console() *consoleState {
	if s.cons == nil {
		s.cons = &consoleState{operators: map[string]console.Operator{}, sessions: map[string]console.Session{}}
	}
	return s.cons
}

func notFound(name string) error {
	return errs.New(errs.NotFound, "operator: no operator named %q", name)
}

// AddOperator implements console.Operators.
func (s *Store) AddOperator(_ context.Context, o console.Operator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.console()
	if _, ok := c.operators[o.Name]; ok {
		return errs.New(errs.Conflict, "operator: %q exists already", o.Name)
	}
	o.CreatedAt = o.CreatedAt.UTC().Truncate(time.Microsecond)
	c.operators[o.Name] = o
	return nil
}

// Operator implements console.Operators.
func (s *Store) Operator(_ context.Context, name string) (console.Operator, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.console().operators[name]
	if !ok {
		return console.Operator{}, errs.New(errs.NotFound, "operator: no such operator")
	}
	return o, nil
}

// ListOperators implements console.Operators.
func (s *Store) ListOperators(context.Context) ([]console.Operator, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ops := slices.Collect(maps.Values(s.console().operators))
	sort.Slice(ops, func(i, j int) bool { return ops[i].Name < ops[j].Name })
	return ops, nil
}

// update changes one operator under the lock.
func (s *Store) update(name string, change func(o *console.Operator)) (console.Operator, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.console()
	o, ok := c.operators[name]
	if !ok {
		return console.Operator{}, notFound(name)
	}
	change(&o)
	c.operators[name] = o
	return o, nil
}

// SetDisabled implements console.Operators.
func (s *Store) SetDisabled(_ context.Context, name string, disabled bool) error {
	_, err := s.update(name, func(o *console.Operator) { o.Disabled = disabled })
	if err == nil && disabled {
		s.mu.Lock()
		maps.DeleteFunc(s.console().sessions, func(_ string, sess console.Session) bool { return sess.Operator == name })
		s.mu.Unlock()
	}
	return err
}

// SetPassword implements console.Operators, ending the operator's
// sessions.
func (s *Store) SetPassword(_ context.Context, name, hash string) error {
	_, err := s.update(name, func(o *console.Operator) {
		o.PasswordHash, o.FailedAttempts, o.LockedUntil = hash, 0, time.Time{}
	})
	if err == nil {
		s.mu.Lock()
		maps.DeleteFunc(s.console().sessions, func(_ string, sess console.Session) bool { return sess.Operator == name })
		s.mu.Unlock()
	}
	return err
}

// SignInFailed implements console.Operators.
func (s *Store) SignInFailed(_ context.Context, name string, now time.Time, max int, lockFor time.Duration) (console.Operator, error) {
	now = now.UTC().Truncate(time.Microsecond)
	return s.update(name, func(o *console.Operator) {
		if !o.LockedUntil.IsZero() && !now.Before(o.LockedUntil) {
			o.FailedAttempts, o.LockedUntil = 0, time.Time{}
		}
		o.FailedAttempts++
		if o.FailedAttempts >= max && o.LockedUntil.IsZero() {
			o.LockedUntil = now.Add(lockFor)
		}
	})
}

// SignInSucceeded implements console.Operators.
func (s *Store) SignInSucceeded(_ context.Context, name string, now time.Time) error {
	_, err := s.update(name, func(o *console.Operator) {
		o.FailedAttempts, o.LockedUntil, o.LastSignIn = 0, time.Time{}, now.UTC().Truncate(time.Microsecond)
	})
	return err
}

// CreateSession implements console.Sessions.
func (s *Store) CreateSession(_ context.Context, sess console.Session) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.console()
	if _, ok := c.operators[sess.Operator]; !ok {
		return notFound(sess.Operator)
	}
	maps.DeleteFunc(c.sessions, func(_ string, old console.Session) bool { return !old.Valid(sess.CreatedAt) })
	c.sessions[sess.ID] = sess
	return nil
}

// Session implements console.Sessions.
func (s *Store) Session(_ context.Context, id string, now time.Time) (console.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.console().sessions[id]
	if !ok || !sess.Valid(now) {
		return console.Session{}, errs.New(errs.NotFound, "session: none")
	}
	return sess, nil
}

// EndSession implements console.Sessions.
func (s *Store) EndSession(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.console().sessions, id)
	return nil
}

// Append implements console.Audit.
func (s *Store) Append(_ context.Context, e console.Entry) (console.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.console()
	if len(c.audit) == 0 {
		e.Chain(nil)
	} else {
		e.Chain(&c.audit[len(c.audit)-1])
	}
	c.audit = append(c.audit, e)
	return e, nil
}

// AuditPage implements console.Audit.
func (s *Store) AuditPage(_ context.Context, before int64, limit int) ([]console.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []console.Entry
	audit := s.console().audit
	for i := len(audit) - 1; i >= 0 && len(out) < limit; i-- {
		if before <= 0 || audit[i].Seq < before {
			out = append(out, audit[i])
		}
	}
	return out, nil
}

// ExportAudit implements console.Audit.
func (s *Store) ExportAudit(_ context.Context, fn func(console.Entry) error) error {
	s.mu.Lock()
	audit := slices.Clone(s.console().audit)
	s.mu.Unlock()
	for _, e := range audit {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// counted calls fn for every record f chooses.
func (s *Store) counted(f console.Filter, fn func(r receipt.Record, day console.Day)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.records {
		if counted, ok := s.ret.counted[i]; ok {
			// A tombstone: the insights count what it was.
			r = counted
		}
		day := console.DayOf(r.IssuedAt)
		if day < f.From || day > f.To || (f.Surface != "" && r.Surface != f.Surface) || (f.Language != "" && r.Language != f.Language) {
			continue
		}
		fn(r, day)
	}
}

// tally turns counts by key into a sorted slice.
func tally[K comparable](m map[K]int64, with func(K, int64) K, less func(a, b K) bool) []K {
	out := make([]K, 0, len(m))
	for k, n := range m {
		out = append(out, with(k, n))
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

// DecisionsByDay implements console.Insights.
func (s *Store) DecisionsByDay(_ context.Context, f console.Filter) ([]console.DecisionCount, error) {
	m := map[console.DecisionCount]int64{}
	s.counted(f, func(r receipt.Record, day console.Day) { m[console.DecisionCount{Day: day, Decision: r.Decision}]++ })
	return tally(m, func(k console.DecisionCount, n int64) console.DecisionCount { k.N = n; return k },
		func(a, b console.DecisionCount) bool {
			return a.Day < b.Day || (a.Day == b.Day && a.Decision < b.Decision)
		}), nil
}

// PurposeStates implements console.Insights.
func (s *Store) PurposeStates(_ context.Context, f console.Filter) ([]console.PurposeCount, error) {
	m := map[console.PurposeCount]int64{}
	s.counted(f, func(r receipt.Record, _ console.Day) {
		for p, st := range r.States {
			m[console.PurposeCount{Audience: console.AudienceOf(r.Surface), Purpose: p, State: st}]++
		}
	})
	return tally(m, func(k console.PurposeCount, n int64) console.PurposeCount { k.N = n; return k },
		func(a, b console.PurposeCount) bool {
			if a.Audience != b.Audience {
				return a.Audience < b.Audience
			}
			return a.Purpose < b.Purpose || (a.Purpose == b.Purpose && a.State < b.State)
		}), nil
}

// TimesToDecision implements console.Insights.
func (s *Store) TimesToDecision(_ context.Context, f console.Filter) ([]console.LatencyCount, error) {
	m := map[console.LatencyCount]int64{}
	s.counted(f, func(r receipt.Record, _ console.Day) {
		if r.ShownAt.IsZero() {
			return
		}
		// Whole seconds, truncated, as the SQL stores count them.
		if secs := (r.IssuedAt.UnixMicro() - r.ShownAt.UnixMicro()) / 1e6; secs >= 0 {
			m[console.LatencyCount{Seconds: console.LatencyBucket(secs)}]++
		}
	})
	return tally(m, func(k console.LatencyCount, n int64) console.LatencyCount { k.N = n; return k },
		func(a, b console.LatencyCount) bool { return a.Seconds < b.Seconds }), nil
}

// Reasks implements console.Insights.
func (s *Store) Reasks(_ context.Context, f console.Filter) ([]console.ReaskCount, error) {
	m := map[console.ReaskCount]int64{}
	s.counted(f, func(r receipt.Record, _ console.Day) {
		if r.Reask {
			m[console.ReaskCount{PolicyVersion: r.PolicyVersion, Decision: r.Decision}]++
		}
	})
	return tally(m, func(k console.ReaskCount, n int64) console.ReaskCount { k.N = n; return k },
		func(a, b console.ReaskCount) bool {
			return a.PolicyVersion < b.PolicyVersion || (a.PolicyVersion == b.PolicyVersion && a.Decision < b.Decision)
		}), nil
}

// ReaskPurposes implements console.Insights.
func (s *Store) ReaskPurposes(_ context.Context, f console.Filter) ([]console.ReaskPurposeCount, error) {
	m := map[console.ReaskPurposeCount]int64{}
	s.counted(f, func(r receipt.Record, _ console.Day) {
		if !r.Reask {
			return
		}
		for p, st := range r.States {
			m[console.ReaskPurposeCount{PolicyVersion: r.PolicyVersion, Audience: console.AudienceOf(r.Surface), Purpose: p, State: st}]++
		}
	})
	return tally(m, func(k console.ReaskPurposeCount, n int64) console.ReaskPurposeCount { k.N = n; return k },
		func(a, b console.ReaskPurposeCount) bool {
			if a.PolicyVersion != b.PolicyVersion {
				return a.PolicyVersion < b.PolicyVersion
			}
			if a.Audience != b.Audience {
				return a.Audience < b.Audience
			}
			if a.Purpose != b.Purpose {
				return a.Purpose < b.Purpose
			}
			return a.State < b.State
		}), nil
}

// Health implements console.Insights.
func (s *Store) Health(_ context.Context, since console.Day) (console.Health, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := console.Health{Engine: "memory", Receipts: int64(len(s.records))}
	days := map[console.Day]int64{}
	for _, r := range s.records {
		h.SizeBytes += int64(len(r.Body) + len(r.Countersig))
		if d := console.DayOf(r.IssuedAt); d >= since {
			days[d]++
		}
	}
	for d, n := range days {
		h.PerDay = append(h.PerDay, console.DayTotal{Day: d, N: n})
	}
	sort.Slice(h.PerDay, func(i, j int) bool { return h.PerDay[i].Day < h.PerDay[j].Day })
	return h, nil
}
