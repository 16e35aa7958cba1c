package console

import (
	"context"
	"sync"
	"time"

	"github.com/kaiconn/consent/errs"
)

// Lockout is how many failed sign-ins in a row lock an operator out, and
// for how long.
type Lockout struct {
	MaxFailures int           // 5 when 0
	Duration    time.Duration // 15 minutes when 0
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

// Sign-in refusals. Their messages are the only thing a person signing in
// learns: a wrong name, a wrong password and a disabled operator read
// alike, so that the form does not tell which names exist.
var (
	ErrBadCredentials = errs.New(errs.Unauthorized, "wrong name or password")
	ErrLockedOut      = errs.New(errs.RateLimited, "too many failed sign-ins: try again later")
)

// SignIn checks a name and password against the operators in store under
// the lock-out policy. It returns the operator on success; otherwise
// ErrBadCredentials or ErrLockedOut, and outcome says for the audit log
// what really happened ("unknown", "disabled", "wrong-password",
// "locked").
type SignIn struct {
	Store   Operators
	Lockout Lockout
	Now     func() time.Time

	// unknown counts failed sign-ins under names no operator has, held in
	// memory only, so that such a name locks out like a real one and the
	// lock-out does not tell either.
	mu      sync.Mutex
	unknown map[string]failures
}

type failures struct {
	n      int
	until  time.Time
	latest time.Time
}

// maxUnknown bounds the memory the unknown names take; the oldest is
// forgotten first.
const maxUnknown = 10000

// Outcomes of a sign-in, as the audit log records them.
const (
	OutcomeOK            = "ok"
	OutcomeUnknown       = "unknown-operator"
	OutcomeDisabled      = "disabled"
	OutcomeWrongPassword = "wrong-password"
	OutcomeLocked        = "locked"
	OutcomeDenied        = "denied"
)

// Check signs name in with password.
func (s *SignIn) Check(ctx context.Context, name, password string) (op Operator, outcome string, err error) {
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	op, err = s.Store.Operator(ctx, name)
	switch {
	case errs.Code(err) == errs.NotFound || (err == nil && op.Disabled):
		PasswordMatches(dummyHash(), password) // as long as a real check
		outcome = OutcomeUnknown
		if err == nil {
			outcome = OutcomeDisabled
		}
		if s.failUnknown(name, now) {
			return Operator{}, OutcomeLocked, ErrLockedOut
		}
		return Operator{}, outcome, ErrBadCredentials
	case err != nil:
		return Operator{}, "", err
	}
	if op.Locked(now) {
		// The password is not even checked: a locked account cannot be
		// guessed at, and the answer is the same either way.
		return Operator{}, OutcomeLocked, ErrLockedOut
	}
	if !PasswordMatches(op.PasswordHash, password) {
		op, err := s.Store.SignInFailed(ctx, name, now, s.Lockout.max(), s.Lockout.duration())
		if err != nil {
			return Operator{}, "", err
		}
		if op.Locked(now) {
			return Operator{}, OutcomeLocked, ErrLockedOut
		}
		return Operator{}, OutcomeWrongPassword, ErrBadCredentials
	}
	if err := s.Store.SignInSucceeded(ctx, name, now); err != nil {
		return Operator{}, "", err
	}
	return op, OutcomeOK, nil
}

// failUnknown counts a failure under a name that signs nobody in and
// reports whether that name is now locked out.
func (s *SignIn) failUnknown(name string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.unknown == nil {
		s.unknown = map[string]failures{}
	}
	f := s.unknown[name]
	if now.Before(f.until) {
		return true
	}
	if !f.until.IsZero() {
		f = failures{} // the lock ran out: start counting again
	}
	f.n++
	f.latest = now
	if f.n >= s.Lockout.max() {
		f.until = now.Add(s.Lockout.duration())
	}
	if _, ok := s.unknown[name]; !ok && len(s.unknown) >= maxUnknown {
		oldest, at := "", now
		for k, v := range s.unknown {
			if v.latest.Before(at) {
				oldest, at = k, v.latest
			}
		}
		delete(s.unknown, oldest)
	}
	s.unknown[name] = f
	return now.Before(f.until)
}
