package console

import (
	"context"
	"runtime"
	"sync"
	"time"

	"github.com/kaiconn/consent/errs"
)

// Lockout is how many failed sign-ins in a row lock a name out for one
// client, and for how long.
//
// A lock holds a pair, a name and the client's address, never a name
// alone: a name locked for everyone would let anybody lock every operator
// out with a handful of posts. Guessing from one address stops at
// MaxFailures wrong passwords, and each lock of the same pair lasts twice
// as long as the one before (Duration, 2×, 4×, … up to MaxDuration), so
// that an address gets a few dozen guesses a day at most.
type Lockout struct {
	MaxFailures int           // 5 when 0
	Duration    time.Duration // the first lock of a pair: 15 minutes when 0
	MaxDuration time.Duration // the longest lock: 24 hours when 0
}

func (l Lockout) max() int {
	if l.MaxFailures <= 0 {
		return 5
	}
	return l.MaxFailures
}

func (l Lockout) duration() time.Duration {
	if l.Duration <= 0 {
		return 15 * time.Minute
	}
	return l.Duration
}

func (l Lockout) longest() time.Duration {
	if l.MaxDuration <= 0 {
		return 24 * time.Hour
	}
	return max(l.MaxDuration, l.duration())
}

// lockFor is how long the n-th lock of a pair lasts (n from 0).
func (l Lockout) lockFor(n int) time.Duration {
	d := l.duration()
	for range n {
		if d >= l.longest()/2 {
			return l.longest()
		}
		d *= 2
	}
	return min(d, l.longest())
}

// Sign-in refusals. Their messages are the only thing a person signing in
// learns: a wrong name, a wrong password and a disabled operator read
// alike, so that the form does not tell which names exist.
var (
	ErrBadCredentials = errs.New(errs.Unauthorized, "wrong name or password")
	ErrLockedOut      = errs.New(errs.RateLimited, "too many failed sign-ins: try again later")
	// ErrBusy is a sign-in that found every password check taken for
	// longer than SignIn.Wait; nothing was checked nor counted.
	ErrBusy = errs.New(errs.RateLimited, "too many sign-ins at once: try again in a moment")
)

// SignIn checks a name and password against the operators in store under
// the lock-out policy. It returns the operator on success; otherwise
// ErrBadCredentials, ErrLockedOut or ErrBusy, and outcome says for the
// audit log what really happened ("unknown", "disabled",
// "wrong-password", "locked", "busy").
//
// A password check (argon2id, 19 MiB and two passes) is the dearest thing
// the server does for an anonymous request, so at most Checks run at once:
// a flood of sign-ins waits its turn (or is answered ErrBusy) instead of
// taking the memory and the cores the consent service runs on.
type SignIn struct {
	Store   Operators
	Lockout Lockout
	Now     func() time.Time
	// Checks is how many password checks may run at once: half the CPUs,
	// at least one, when 0.
	Checks int
	// Wait is how long a sign-in waits for a password check's turn before
	// ErrBusy: 2 seconds when 0.
	Wait time.Duration
	// Match compares a password with a hash: PasswordMatches when nil.
	// Tests count the checks with it.
	Match func(hash, password string) bool

	once sync.Once
	sem  chan struct{} // one token per password check running

	// pairs are the failures per (name, client), held in memory: a name
	// no operator has counts like a real one, so the lock-out tells
	// nothing either.
	mu    sync.Mutex
	pairs map[pair]*attempts
}

// pair is what a lock-out holds: a name as typed and a client address.
type pair struct{ name, client string }

// attempts is one pair's state. Reserved counts the checks started and
// not yet finished: a check is reserved before the password is compared,
// under the same lock that reads the failures, so that concurrent guesses
// never get more checks than the limit between them.
type attempts struct {
	failures int       // failed checks since the pair's last lock or success
	reserved int       // checks running now
	locks    int       // locks so far, which the next one's length doubles with
	until    time.Time // locked before this
	latest   time.Time // the last attempt, to forget the oldest pairs first
}

// maxPairs bounds the memory the pairs take; the oldest unlocked pair is
// forgotten first.
const maxPairs = 10000

// Outcomes of a sign-in, as the audit log records them.
const (
	OutcomeOK            = "ok"
	OutcomeUnknown       = "unknown-operator"
	OutcomeDisabled      = "disabled"
	OutcomeWrongPassword = "wrong-password"
	OutcomeLocked        = "locked"
	OutcomeBusy          = "busy"
	OutcomeDenied        = "denied"
)

func (s *SignIn) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *SignIn) match(hash, password string) bool {
	if s.Match != nil {
		return s.Match(hash, password)
	}
	return PasswordMatches(hash, password)
}

// Check signs name in with password, for a client (its address, as the
// server's rate limits see it). On failure, op is empty but for the Name
// and Role of the operator the name belongs to, if any, so that the audit
// log can name a real operator without ever naming whatever else was typed
// into the name field (a password, perhaps).
func (s *SignIn) Check(ctx context.Context, name, client, password string) (op Operator, outcome string, err error) {
	now := s.now()
	key := pair{name, client}
	if !s.reserve(key, now) {
		// The password is not even checked: a locked pair cannot be
		// guessed at, and the answer is the same either way.
		return s.known(ctx, name), OutcomeLocked, ErrLockedOut
	}
	if !s.acquire(ctx) {
		s.finish(key, now, checkNone)
		return Operator{}, OutcomeBusy, ErrBusy
	}
	defer func() { <-s.sem }()
	op, err = s.Store.Operator(ctx, name)
	switch {
	case errs.Code(err) == errs.NotFound || (err == nil && op.Disabled):
		s.match(dummyHash(), password) // as long as a real check
		outcome = OutcomeUnknown
		if err == nil {
			outcome = OutcomeDisabled
		}
		known := Operator{Name: op.Name, Role: op.Role}
		if s.finish(key, now, checkFailed) {
			return known, OutcomeLocked, ErrLockedOut
		}
		return known, outcome, ErrBadCredentials
	case err != nil:
		s.finish(key, now, checkNone)
		return Operator{}, "", err
	}
	if !s.match(op.PasswordHash, password) {
		known := Operator{Name: op.Name, Role: op.Role}
		if s.finish(key, now, checkFailed) {
			return known, OutcomeLocked, ErrLockedOut
		}
		return known, OutcomeWrongPassword, ErrBadCredentials
	}
	s.finish(key, now, checkPassed)
	if err := s.Store.SignInSucceeded(ctx, name, now); err != nil {
		return Operator{}, "", err
	}
	return op, OutcomeOK, nil
}

// known is the name and role of the operator named name, or nothing.
func (s *SignIn) known(ctx context.Context, name string) Operator {
	op, err := s.Store.Operator(ctx, name)
	if err != nil {
		return Operator{}
	}
	return Operator{Name: op.Name, Role: op.Role}
}

// acquire waits up to Wait for a password check's turn.
func (s *SignIn) acquire(ctx context.Context) bool {
	s.once.Do(func() {
		n := s.Checks
		if n <= 0 {
			n = max(1, runtime.NumCPU()/2)
		}
		s.sem = make(chan struct{}, n)
	})
	select {
	case s.sem <- struct{}{}:
		return true
	default:
	}
	wait := s.Wait
	if wait <= 0 {
		wait = 2 * time.Second
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.sem <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// reserve takes one of the pair's checks, and reports false when the pair
// is locked, or when the failures so far and the checks still running
// reach the limit between them.
func (s *SignIn) reserve(key pair, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pairs == nil {
		s.pairs = map[pair]*attempts{}
	}
	a := s.pairs[key]
	if a == nil {
		s.forgetOldest(now)
		a = &attempts{}
		s.pairs[key] = a
	}
	a.latest = now
	if now.Before(a.until) || a.failures+a.reserved >= s.Lockout.max() {
		return false
	}
	a.reserved++
	return true
}

// How a reserved check ended.
const (
	checkNone   = iota // not checked (busy, or the store failed): nothing counts
	checkFailed        // a wrong name or password
	checkPassed        // signed in
)

// finish ends a reserved check and reports whether the pair is now
// locked. A failure that reaches the limit locks the pair, each lock twice
// as long as the one before; a success forgets the pair.
func (s *SignIn) finish(key pair, now time.Time, how int) (locked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.pairs[key]
	if a == nil {
		return false // cannot be: a pair being checked is never forgotten
	}
	a.reserved--
	switch how {
	case checkPassed:
		if a.reserved == 0 {
			delete(s.pairs, key)
		} else {
			a.failures, a.locks, a.until = 0, 0, time.Time{}
		}
		return false
	case checkFailed:
		a.failures++
		if a.failures >= s.Lockout.max() && !now.Before(a.until) {
			a.until = now.Add(s.Lockout.lockFor(a.locks))
			a.locks++
			a.failures = 0
		}
	}
	return now.Before(a.until)
}

// forgetOldest makes room for one more pair, under s.mu: a pair whose last
// lock ran out longer ago than the longest lock is forgotten at once; when
// the map is full, the pair tried least recently among those neither
// locked nor being checked.
func (s *SignIn) forgetOldest(now time.Time) {
	if len(s.pairs) < maxPairs {
		return
	}
	var oldest pair
	var at time.Time
	found := false
	for k, a := range s.pairs {
		if a.reserved > 0 || now.Before(a.until) {
			continue
		}
		if now.Sub(a.latest) > s.Lockout.longest() {
			delete(s.pairs, k)
			continue
		}
		if !found || a.latest.Before(at) {
			oldest, at, found = k, a.latest, true
		}
	}
	if len(s.pairs) >= maxPairs && found {
		delete(s.pairs, oldest)
	}
}
