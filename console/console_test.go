package console_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/errs"
)

func TestRoles(t *testing.T) {
	for _, tt := range []struct {
		role console.Role
		p    console.Permission
		may  bool
	}{
		{console.Viewer, console.SeeInsights, true},
		{console.Viewer, console.SeeOperations, true},
		{console.Viewer, console.LookUp, false},
		{console.Viewer, console.ReadAudit, false},
		{console.Officer, console.LookUp, true},
		{console.Officer, console.ReadAudit, true},
		{console.Role("admin"), console.SeeInsights, false},
	} {
		t.Run(string(tt.role)+"/"+string(tt.p), func(t *testing.T) {
			assert.Equal(t, tt.may, tt.role.May(tt.p))
		})
	}
	_, err := console.ParseRole("root")
	assert.Equal(t, errs.Invalid, errs.Code(err))
}

func TestPassword(t *testing.T) {
	hash, err := console.HashPassword("correct horse battery")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$"), hash)
	t.Run("OK", func(t *testing.T) { assert.True(t, console.PasswordMatches(hash, "correct horse battery")) })
	t.Run("ErrWrong", func(t *testing.T) { assert.False(t, console.PasswordMatches(hash, "correct horse batterY")) })
	t.Run("SaltedEachTime", func(t *testing.T) {
		again, err := console.HashPassword("correct horse battery")
		require.NoError(t, err)
		assert.NotEqual(t, hash, again)
	})
	t.Run("ErrMalformedHash", func(t *testing.T) {
		for _, h := range []string{"", "plain", "$2a$10$bcrypthash", strings.Replace(hash, "m=19456", "m=0", 1),
			strings.Replace(hash, "argon2id", "argon2i", 1), hash[:len(hash)-5]} {
			assert.False(t, console.PasswordMatches(h, "correct horse battery"), h)
		}
	})
	// Twelve characters are not enough when they are the first a cracker
	// tries.
	t.Run("ErrEasyToGuess", func(t *testing.T) {
		for _, p := range []string{"aaaaaaaaaaaa", "password1234", "qwertyuiopas", "123456789012", "iloveyou1234",
			"kaiconn12345", "abcdefghijkl", "Password2026!", strings.Repeat("ab", 512)} {
			t.Run(p[:min(len(p), 16)], func(t *testing.T) {
				_, err := console.HashPassword(p)
				assert.Equal(t, errs.Invalid, errs.Code(err))
				assert.ErrorContains(t, err, "too easy to guess")
			})
		}
	})
	// A passphrase of common words is a good password: it is the
	// password as a whole that must not be common.
	t.Run("OKPassphrases", func(t *testing.T) {
		for _, p := range []string{"correct horse battery", "another long passphrase", "十二个汉字的密码也是足够长的", "Tr0ub4dor&3-staple"} {
			assert.NoError(t, console.CheckPassword(p, "zhou.xiaoming"), p)
		}
		assert.NoError(t, console.CheckPassword("zhou.xiaoming drinks tea at noon", "zhou.xiaoming"), "a name inside a long passphrase")
	})
	t.Run("ErrTheOperatorsOwnName", func(t *testing.T) {
		_, err := console.NewOperator("zhou.xiaoming", console.Officer, "zhou.xiaoming.zhou", time.Now())
		assert.ErrorContains(t, err, "too easy to guess")
	})
	t.Run("ErrTooShort", func(t *testing.T) {
		_, err := console.HashPassword("short")
		assert.Equal(t, errs.Invalid, errs.Code(err))
		_, err = console.HashPassword("十二个汉字的密码也是足够长的")
		assert.NoError(t, err, "characters, not bytes")
	})
}

func TestNewOperator(t *testing.T) {
	for _, name := range []string{"", "a", "Li.Na", "li na", "1li", strings.Repeat("a", 65), "李娜"} {
		t.Run("ErrName/"+name, func(t *testing.T) {
			_, err := console.NewOperator(name, console.Officer, "correct horse battery", time.Now())
			assert.Equal(t, errs.Invalid, errs.Code(err))
		})
	}
	t.Run("ErrRole", func(t *testing.T) {
		_, err := console.NewOperator("li.na", console.Role("admin"), "correct horse battery", time.Now())
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})
}

func TestSession(t *testing.T) {
	now := time.Now()
	s, token := console.NewSession("li.na", now, time.Hour)
	assert.Equal(t, console.SessionID(token), s.ID)
	assert.NotContains(t, s.ID, token, "the store keeps a hash, never the token")
	assert.True(t, s.Valid(now.Add(59*time.Minute)))
	assert.False(t, s.Valid(now.Add(time.Hour)))
	assert.NoError(t, s.CheckCSRF(s.CSRF))
	assert.Equal(t, errs.Forbidden, errs.Code(s.CheckCSRF("")))
	assert.Equal(t, errs.Forbidden, errs.Code(s.CheckCSRF(token)))
}

func TestAuditChain(t *testing.T) {
	var log []console.Entry
	for i, action := range []string{console.ActionSignIn, console.ActionViewSubject, console.ActionSignOut} {
		e := console.Entry{At: time.Date(2026, 11, 29, 12, i, 0, 0, time.UTC), Operator: "li.na", Role: console.Officer, Action: action, Outcome: "ok"}
		if i == 0 {
			e.Chain(nil)
		} else {
			e.Chain(&log[i-1])
		}
		log = append(log, e)
	}
	require.NoError(t, console.VerifyAudit(log))
	for _, tt := range []struct {
		name string
		edit func(l []console.Entry) []console.Entry
		want string
	}{
		{"ErrChanged", func(l []console.Entry) []console.Entry { l[1].Target = "sub_other"; return l }, "audit[1]: hash does not match"},
		{"ErrRemoved", func(l []console.Entry) []console.Entry { return append(l[:1], l[2:]...) }, "audit[1]: seq 3, want 2"},
		{"ErrRehashed", func(l []console.Entry) []console.Entry {
			l[1].Outcome = "denied"
			l[1].Chain(&l[0])
			return l
		}, "audit[2]: prevHash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := append([]console.Entry(nil), log...)
			err := console.VerifyAudit(tt.edit(l))
			require.Error(t, err)
			assert.Contains(t, errs.Message(err), tt.want)
		})
	}
}

func TestDay(t *testing.T) {
	// 16:00 UTC is midnight in Shanghai.
	assert.Equal(t, "2026-11-29", console.DayOf(time.Date(2026, 11, 29, 15, 59, 59, 0, time.UTC)).String())
	assert.Equal(t, "2026-11-30", console.DayOf(time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC)).String())
	d, err := console.ParseDay("2026-11-30")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC), d.Start().UTC())
	_, err = console.ParseDay("30/11/2026")
	assert.Equal(t, errs.Invalid, errs.Code(err))
}

func TestFilter(t *testing.T) {
	d := console.DayOf(time.Now())
	for _, tt := range []struct {
		name string
		f    console.Filter
		ok   bool
	}{
		{"OK", console.Filter{From: d - 30, To: d, Surface: "settings", Language: "en"}, true},
		{"OKOneDay", console.Filter{From: d, To: d}, true},
		{"ErrBackwards", console.Filter{From: d, To: d - 1}, false},
		{"ErrTooLong", console.Filter{From: d - console.MaxPeriod, To: d}, false},
		{"ErrSurface", console.Filter{From: d, To: d, Surface: "popup"}, false},
		{"ErrLanguage", console.Filter{From: d, To: d, Language: "fr"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.ok, tt.f.Check() == nil) })
	}
}

func TestLatency(t *testing.T) {
	for s, want := range map[int64]int64{-3: 0, 0: 0, 119: 119, 120: 120, 599: 590, 600: 600, 3599: 3540, 3600: 3600, 86399: 82800, 86400: 86400, 1e7: 86400} {
		assert.Equal(t, want, console.LatencyBucket(s), "%d s", s)
	}
	_, ok := console.Quantile(nil, 0.5)
	assert.False(t, ok)
	counts := []console.LatencyCount{{Seconds: 30, N: 1}, {Seconds: 5, N: 2}, {Seconds: 60, N: 1}}
	for q, want := range map[float64]int64{0.25: 5, 0.5: 5, 0.75: 30, 0.99: 30, 1: 60} {
		got, ok := console.Quantile(counts, q)
		assert.True(t, ok)
		assert.Equal(t, want, got, "q=%v", q)
	}
}

// fakeOperators is a console.Operators over a map, for the sign-in rules.
type fakeOperators struct {
	mu  sync.Mutex
	ops map[string]console.Operator
}

func (f *fakeOperators) AddOperator(_ context.Context, o console.Operator) error {
	f.ops[o.Name] = o
	return nil
}
func (f *fakeOperators) Operator(_ context.Context, name string) (console.Operator, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.ops[name]
	if !ok {
		return o, errs.New(errs.NotFound, "none")
	}
	return o, nil
}
func (f *fakeOperators) ListOperators(context.Context) ([]console.Operator, error) { return nil, nil }
func (f *fakeOperators) SetDisabled(_ context.Context, name string, d bool) error {
	o := f.ops[name]
	o.Disabled = d
	f.ops[name] = o
	return nil
}
func (f *fakeOperators) SetPassword(context.Context, string, string) error { return nil }
func (f *fakeOperators) SignInFailed(_ context.Context, name string, now time.Time, max int, lockFor time.Duration) (console.Operator, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o := f.ops[name]
	if !o.LockedUntil.IsZero() && !now.Before(o.LockedUntil) {
		o.FailedAttempts, o.LockedUntil = 0, time.Time{}
	}
	o.FailedAttempts++
	if o.FailedAttempts >= max && o.LockedUntil.IsZero() {
		o.LockedUntil = now.Add(lockFor)
	}
	f.ops[name] = o
	return o, nil
}
func (f *fakeOperators) SignInSucceeded(_ context.Context, name string, _ time.Time) error {
	o := f.ops[name]
	o.FailedAttempts, o.LockedUntil = 0, time.Time{}
	f.ops[name] = o
	return nil
}

func TestSignIn(t *testing.T) {
	ctx := context.Background()
	const client = "192.0.2.1"
	t.Run("OK", func(t *testing.T) {
		now := time.Now()
		s := newSignIn(t, &now)
		o, outcome, err := s.Check(ctx, "li.na", client, "correct horse battery")
		require.NoError(t, err)
		assert.Equal(t, console.OutcomeOK, outcome)
		assert.Equal(t, console.Officer, o.Role)
	})
	t.Run("ErrAlike", func(t *testing.T) {
		now := time.Now()
		s := newSignIn(t, &now)
		for name, want := range map[string]string{"nobody": console.OutcomeUnknown, "old.hand": console.OutcomeDisabled, "li.na": console.OutcomeWrongPassword} {
			_, outcome, err := s.Check(ctx, name, client, "wrong password here")
			assert.Equal(t, console.ErrBadCredentials, err, name)
			assert.Equal(t, want, outcome)
		}
		_, _, err := s.Check(ctx, "old.hand", client, "correct horse battery")
		assert.Equal(t, console.ErrBadCredentials, err, "a disabled operator, right password")
	})
	t.Run("FailureNamesOnlyOperators", func(t *testing.T) {
		now := time.Now()
		s := newSignIn(t, &now)
		op, _, _ := s.Check(ctx, "li.na", client, "wrong password here")
		assert.Equal(t, console.Operator{Name: "li.na", Role: console.Officer}, op, "a real name, for the log")
		for range 4 {
			op, _, _ = s.Check(ctx, "my secret passphrase", client, "wrong password here")
			assert.Equal(t, console.Operator{}, op, "whatever else was typed is not handed back, locked or not")
		}
	})
	t.Run("LockOut", func(t *testing.T) {
		now := time.Now()
		s := newSignIn(t, &now)
		for i := 1; i <= 3; i++ {
			_, outcome, err := s.Check(ctx, "li.na", client, "wrong password here")
			if i < 3 {
				assert.Equal(t, console.ErrBadCredentials, err)
				continue
			}
			assert.Equal(t, console.ErrLockedOut, err, "the third failure locks")
			assert.Equal(t, console.OutcomeLocked, outcome)
		}
		_, _, err := s.Check(ctx, "li.na", client, "correct horse battery")
		assert.Equal(t, console.ErrLockedOut, err, "even the right password")
		now = now.Add(2 * time.Minute)
		_, _, err = s.Check(ctx, "li.na", client, "correct horse battery")
		assert.NoError(t, err, "after the lock")
	})
	t.Run("LockOutUnknownNameAlike", func(t *testing.T) {
		now := time.Now()
		s := newSignIn(t, &now)
		var errsSeen []error
		for range 4 {
			_, _, err := s.Check(ctx, "nobody", client, "wrong password here")
			errsSeen = append(errsSeen, err)
		}
		assert.Equal(t, []error{console.ErrBadCredentials, console.ErrBadCredentials, console.ErrLockedOut, console.ErrLockedOut}, errsSeen)
		now = now.Add(2 * time.Minute)
		_, _, err := s.Check(ctx, "nobody", client, "wrong password here")
		assert.Equal(t, console.ErrBadCredentials, err)
	})
	// Locking a name out for every client would hand anyone a denial of
	// service: the operator signs in from their own address meanwhile.
	t.Run("LockHoldsTheClientOnly", func(t *testing.T) {
		now := time.Now()
		s := newSignIn(t, &now)
		for range 10 {
			_, _, _ = s.Check(ctx, "li.na", "203.0.113.66", "wrong password here")
		}
		_, _, err := s.Check(ctx, "li.na", "203.0.113.66", "correct horse battery")
		assert.Equal(t, console.ErrLockedOut, err)
		_, outcome, err := s.Check(ctx, "li.na", client, "correct horse battery")
		require.NoError(t, err, "the operator's own address is not locked")
		assert.Equal(t, console.OutcomeOK, outcome)
	})
	// Each lock of the same pair lasts twice the one before, up to the
	// longest: guessing from one address gets slower and slower.
	t.Run("GrowingDelays", func(t *testing.T) {
		now := time.Now()
		s := newSignIn(t, &now)
		s.Lockout.MaxDuration = 5 * time.Minute
		for _, lock := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute} {
			for range 3 {
				_, _, _ = s.Check(ctx, "li.na", client, "wrong password here")
			}
			now = now.Add(lock - time.Second)
			_, _, err := s.Check(ctx, "li.na", client, "wrong password here")
			assert.Equal(t, console.ErrLockedOut, err, "still locked just before %v", lock)
			now = now.Add(time.Second)
		}
		_, _, err := s.Check(ctx, "li.na", client, "correct horse battery")
		require.NoError(t, err, "the lock ran out")
		for range 3 {
			_, _, _ = s.Check(ctx, "li.na", client, "wrong password here")
		}
		now = now.Add(time.Minute)
		_, _, err = s.Check(ctx, "li.na", client, "correct horse battery")
		assert.NoError(t, err, "a success starts the delays again from the first")
	})
}

func newSignIn(t *testing.T, now *time.Time) *console.SignIn {
	t.Helper()
	ctx := context.Background()
	ops := &fakeOperators{ops: map[string]console.Operator{}}
	o, err := console.NewOperator("li.na", console.Officer, "correct horse battery", *now)
	require.NoError(t, err)
	require.NoError(t, ops.AddOperator(ctx, o))
	gone, err := console.NewOperator("old.hand", console.Viewer, "correct horse battery", *now)
	require.NoError(t, err)
	gone.Disabled = true
	require.NoError(t, ops.AddOperator(ctx, gone))
	return &console.SignIn{Store: ops, Lockout: console.Lockout{MaxFailures: 3, Duration: time.Minute}, Now: func() time.Time { return *now }}
}

// gatedMatch is a password check that counts the checks, and those running
// at once, and waits for the gate to open before it answers.
type gatedMatch struct {
	gate             chan struct{}
	mu               sync.Mutex
	running, peak, n int
	started          chan struct{}
}

func newGatedMatch() *gatedMatch {
	return &gatedMatch{gate: make(chan struct{}), started: make(chan struct{}, 1000)}
}

func (g *gatedMatch) match(hash, password string) bool {
	g.mu.Lock()
	g.n++
	g.running++
	g.peak = max(g.peak, g.running)
	g.mu.Unlock()
	g.started <- struct{}{}
	<-g.gate
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	return password == "correct horse battery" && hash != ""
}

func (g *gatedMatch) counts() (n, peak int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n, g.peak
}

// Twenty wrong guesses and the right password at once: the pair gets no
// more checks than the limit between them, and the right password, sent
// while the limit's worth of guesses are being checked, is refused
// unchecked; afterwards the pair is locked.
func TestSignInLockOutUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := newSignIn(t, &now)
	s.Lockout.MaxFailures = 4
	s.Checks = 100
	g := newGatedMatch()
	s.Match = g.match
	const client = "198.51.100.7"
	results := make(chan error, 21)
	for range 20 {
		go func() {
			_, _, err := s.Check(ctx, "li.na", client, "a wrong guess, again")
			results <- err
		}()
	}
	for range 4 {
		<-g.started // four guesses are being checked
	}
	refused := 0
	for range 16 {
		if err := <-results; err == console.ErrLockedOut {
			refused++
		}
	}
	assert.Equal(t, 16, refused, "the other sixteen are refused unchecked")
	_, outcome, err := s.Check(ctx, "li.na", client, "correct horse battery")
	assert.Equal(t, console.ErrLockedOut, err, "the right password past the limit is not checked")
	assert.Equal(t, console.OutcomeLocked, outcome)
	close(g.gate)
	for range 4 {
		assert.Error(t, <-results)
	}
	n, _ := g.counts()
	assert.Equal(t, 4, n, "checks, all told")
	_, _, err = s.Check(ctx, "li.na", client, "correct horse battery")
	assert.Equal(t, console.ErrLockedOut, err, "the four failures locked the pair")
	n, _ = g.counts()
	assert.Equal(t, 4, n)
}

// Sixty anonymous sign-ins at once run no more password checks at a time
// than the bound, each under a name and address of its own (no lock-out
// is involved), and every one is answered.
func TestSignInBoundsConcurrentChecks(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := newSignIn(t, &now)
	s.Checks, s.Wait = 2, time.Hour
	g := newGatedMatch()
	s.Match = g.match
	results := make(chan error, 60)
	for i := range 60 {
		go func() {
			_, _, err := s.Check(ctx, fmt.Sprintf("guess-%d", i), fmt.Sprintf("203.0.113.%d", i), "a wrong guess, again")
			results <- err
		}()
	}
	<-g.started
	<-g.started
	close(g.gate)
	for range 60 {
		assert.Equal(t, console.ErrBadCredentials, <-results)
	}
	n, peak := g.counts()
	assert.Equal(t, 60, n)
	assert.LessOrEqual(t, peak, 2, "password checks running at once")
	assert.Equal(t, 2, peak, "the bound is used")
}

// A sign-in that finds every check taken for longer than Wait is answered
// busy, and counts nothing against its pair.
func TestSignInBusy(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	s := newSignIn(t, &now)
	s.Checks, s.Wait = 1, time.Millisecond
	g := newGatedMatch()
	s.Match = g.match
	done := make(chan error)
	go func() {
		_, _, err := s.Check(ctx, "li.na", "192.0.2.1", "a wrong guess, again")
		done <- err
	}()
	<-g.started
	for range 5 {
		_, outcome, err := s.Check(ctx, "li.na", "192.0.2.2", "a wrong guess, again")
		assert.Equal(t, console.ErrBusy, err)
		assert.Equal(t, console.OutcomeBusy, outcome)
	}
	close(g.gate)
	assert.Equal(t, console.ErrBadCredentials, <-done)
	_, _, err := s.Check(ctx, "li.na", "192.0.2.2", "correct horse battery")
	assert.NoError(t, err, "busy answers locked nothing")
}
