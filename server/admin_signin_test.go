package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/admin"
	"github.com/kaiconn/consent/console"
)

// gatedChecks stands in for the password check (console.SignIn.Match): it
// counts the checks, and the most running at once, and holds each until
// the gate opens, so that a test sees what runs at once without timing.
type gatedChecks struct {
	gate    chan struct{}
	started chan struct{}
	mu      sync.Mutex
	n       int
	running int
	peak    int
}

func newGatedChecks() *gatedChecks {
	return &gatedChecks{gate: make(chan struct{}), started: make(chan struct{}, 1000)}
}

// set makes the console check passwords with g.
func (g *gatedChecks) set(c *Config) { c.Admin.PasswordMatch = g.match }

func (g *gatedChecks) match(hash, password string) bool {
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
	return console.PasswordMatches(hash, password)
}

func (g *gatedChecks) counts() (n, peak int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n, g.peak
}

// from makes a browser whose requests come, through the trusted proxy the
// test client stands for, from addr; it has its sign-in form already.
func (cs *consoleServer) from(t *testing.T, addr string) (*operatorClient, string) {
	b := cs.browser(t)
	b.header["X-Forwarded-For"] = addr
	_, page := b.do(http.MethodGet, "/admin/login?lang=en", nil)
	return b, csrfOf(t, page)
}

func (b *operatorClient) postSignIn(csrf, name, password string) *http.Response {
	res, _ := b.do(http.MethodPost, "/admin/login", url.Values{"csrf": {csrf}, "name": {name}, "password": {password}, "lang": {"en"}})
	return res
}

func behindProxy(c *Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// Twenty wrong guesses and the right password at once: no more than the
// limit's worth of guesses is checked, the right password sent while they
// are is refused unchecked, and the pair stays locked afterwards.
func TestAdminLockoutUnderConcurrency(t *testing.T) {
	g := newGatedChecks()
	cs := newConsoleServer(t, g.set, behindProxy, func(c *Config) {
		c.Admin.LockoutAttempts, c.Admin.SignInRateLimit, c.Admin.PasswordChecks = 4, -1, 32
	})
	const attacker = "203.0.113.66"
	statuses := make(chan int, 20)
	for range 20 {
		b, csrf := cs.from(t, attacker)
		go func() { statuses <- b.postSignIn(csrf, "li.na", "a wrong guess, again").StatusCode }()
	}
	for range 4 {
		<-g.started
	}
	for range 16 {
		assert.Equal(t, http.StatusTooManyRequests, <-statuses, "refused unchecked")
	}
	right, csrf := cs.from(t, attacker)
	res := right.postSignIn(csrf, "li.na", testPassword)
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "the right password past the limit")
	assert.Nil(t, cookieNamed(res, admin.SessionCookie))
	close(g.gate)
	for range 4 {
		s := <-statuses
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusTooManyRequests}, s)
	}
	right, csrf = cs.from(t, attacker)
	res = right.postSignIn(csrf, "li.na", testPassword)
	assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "locked after the four failures")
	n, _ := g.counts()
	assert.Equal(t, 4, n, "password checks, all told")
}

// Locking a name for everyone would let anyone lock every operator out:
// the lock holds the attacker's address, and the operator signs in from
// their own.
func TestAdminLockoutIsNoDenialOfService(t *testing.T) {
	cs := newConsoleServer(t, behindProxy, func(c *Config) { c.Admin.LockoutAttempts, c.Admin.SignInRateLimit = 3, -1 })
	for _, name := range []string{"li.na", "zhang.wei"} {
		for range 5 {
			b, csrf := cs.from(t, "203.0.113.66")
			b.postSignIn(csrf, name, "a wrong guess, again")
		}
	}
	b, csrf := cs.from(t, "203.0.113.66")
	assert.Equal(t, http.StatusTooManyRequests, b.postSignIn(csrf, "li.na", testPassword).StatusCode, "the attacker's address is locked")
	for _, name := range []string{"li.na", "zhang.wei"} {
		b, csrf := cs.from(t, "192.0.2.10")
		assert.Equal(t, http.StatusSeeOther, b.postSignIn(csrf, name, testPassword).StatusCode, "%s signs in from their own address", name)
	}
}

// Sixty anonymous sign-ins at once: no more password checks run at a time
// than the bound, every sign-in is answered, and a consent decision is
// recorded while all the checks are taken.
func TestAdminSignInFlood(t *testing.T) {
	g := newGatedChecks()
	cs := newConsoleServer(t, g.set, behindProxy, func(c *Config) {
		c.Admin.SignInRateLimit, c.Admin.PasswordChecks, c.Admin.PasswordWait = -1, 2, time.Hour
	})
	statuses := make(chan int, 60)
	for i := range 60 {
		b, csrf := cs.from(t, fmt.Sprintf("198.51.100.%d", i))
		go func() { statuses <- b.postSignIn(csrf, fmt.Sprintf("guess-%d", i), "a wrong guess, again").StatusCode }()
	}
	<-g.started
	<-g.started

	// Both checks are taken and fifty-eight sign-ins wait: the consent
	// service still answers.
	decide(t, cs.Server, "/consent", browser{}, url.Values{"lang": {"en"}, "action": {"decline"}})

	close(g.gate)
	for range 60 {
		assert.Equal(t, http.StatusUnauthorized, <-statuses)
	}
	n, peak := g.counts()
	assert.Equal(t, 60, n)
	assert.LessOrEqual(t, peak, 2, "password checks running at once")
}

// Past the bound's wait, a sign-in is answered 503 with Retry-After, and
// nothing is checked or logged for it.
func TestAdminSignInBusy(t *testing.T) {
	g := newGatedChecks()
	cs := newConsoleServer(t, g.set, behindProxy, func(c *Config) {
		c.Admin.SignInRateLimit, c.Admin.PasswordChecks, c.Admin.PasswordWait = -1, 1, time.Millisecond
	})
	done := make(chan int)
	first, csrf := cs.from(t, "198.51.100.1")
	go func() { done <- first.postSignIn(csrf, "li.na", "a wrong guess, again").StatusCode }()
	<-g.started
	before := len(auditLog(t, cs))
	b, csrf := cs.from(t, "198.51.100.2")
	res, page := b.do(http.MethodPost, "/admin/login", url.Values{"csrf": {csrf}, "name": {"li.na"}, "password": {testPassword}, "lang": {"en"}})
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	assert.Equal(t, "1", res.Header.Get("Retry-After"))
	assert.Contains(t, page, "Too many people are signing in")
	assert.Len(t, auditLog(t, cs), before, "a flood is not logged")
	close(g.gate)
	assert.Equal(t, http.StatusUnauthorized, <-done)
	n, _ := g.counts()
	assert.Equal(t, 1, n)
}

// One address gets SignInRateLimit sign-ins per window, then 429 with
// Retry-After, before any check; another address is not held back.
func TestAdminSignInRateLimit(t *testing.T) {
	g := newGatedChecks()
	cs := newConsoleServer(t, g.set, behindProxy, func(c *Config) { c.Admin.SignInRateLimit, c.Admin.LockoutAttempts = 3, 100 })
	close(g.gate)
	for i := range 4 {
		b, csrf := cs.from(t, "203.0.113.66")
		res := b.postSignIn(csrf, fmt.Sprintf("guess-%d", i), "a wrong guess, again")
		if i < 3 {
			assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
			continue
		}
		assert.Equal(t, http.StatusTooManyRequests, res.StatusCode)
		assert.Equal(t, "60", res.Header.Get("Retry-After"))
	}
	n, _ := g.counts()
	assert.Equal(t, 3, n, "the refused sign-in was not checked")
	b, csrf := cs.from(t, "192.0.2.10")
	assert.Equal(t, http.StatusSeeOther, b.postSignIn(csrf, "li.na", testPassword).StatusCode)
}

// A name that is no operator's is never logged, whatever the outcome:
// it may be a password typed into the wrong field.
func TestAdminSignInLogsNoTypedName(t *testing.T) {
	cs := newConsoleServer(t, behindProxy, func(c *Config) { c.Admin.LockoutAttempts, c.Admin.SignInRateLimit = 2, -1 })
	const typed = "my-secret-passphrase"
	for range 4 {
		b, csrf := cs.from(t, "203.0.113.66")
		b.postSignIn(csrf, typed, "a wrong guess, again")
	}
	log := auditLog(t, cs)
	assert.True(t, hasEntry(log, "", console.ActionSignIn, "", console.OutcomeLocked))
	for _, e := range log {
		assert.NotContains(t, e.String(), typed)
	}
	b, csrf := cs.from(t, "203.0.113.67")
	b.postSignIn(csrf, "li.na", "a wrong guess, again")
	assert.True(t, hasEntry(auditLog(t, cs), "li.na", console.ActionSignIn, "", console.OutcomeWrongPassword), "a real operator's name is")
}

// Posts from another site are refused before anything reads them, and
// anyone can send them as fast as they like: the audit log keeps the first
// of each minute and one count of the rest, not an entry each.
func TestAdminCrossSiteFloodIsAggregated(t *testing.T) {
	// The console's clock stands still at noon while the data is seeded,
	// then at clock, which the test moves.
	var mu sync.Mutex
	var clock time.Time
	cs := newConsoleServer(t, func(c *Config) {
		noon := c.Admin.Now
		c.Admin.Now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			if clock.IsZero() {
				return noon()
			}
			return clock
		}
	})
	mu.Lock()
	clock = time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	mu.Unlock()
	tick := func(d time.Duration) {
		mu.Lock()
		clock = clock.Add(d)
		mu.Unlock()
	}
	attacker := cs.browser(t)
	flood := func(n int) {
		for range n {
			res, _ := attacker.do(http.MethodPost, "/admin/logout", url.Values{"csrf": {"x"}}, "Origin", "https://evil.example")
			assert.Equal(t, http.StatusForbidden, res.StatusCode)
			tick(100 * time.Millisecond)
		}
	}
	crossSite := func() (n int, repeated []string) {
		for _, e := range auditLog(t, cs) {
			if e.Outcome != "cross-site" {
				continue
			}
			n++
			if e.Action == admin.ActionRepeated {
				repeated = append(repeated, e.Target)
			}
		}
		return n, repeated
	}

	flood(300)
	n, _ := crossSite()
	assert.Equal(t, 1, n, "300 posts, one entry so far")

	tick(2 * time.Minute)
	flood(1)
	n, repeated := crossSite()
	assert.Equal(t, 3, n, "the first, the count of the rest, the first of the next window")
	assert.Equal(t, []string{"299 more from 2026-12-01T02:00:00Z to 2026-12-01T02:00:29Z"}, repeated)

	// What is counted is logged before anyone reads the log.
	flood(5)
	officer := cs.browser(t)
	officer.mustSignIn("li.na")
	res, page := officer.do(http.MethodGet, "/admin/audit?lang=en", nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, page, "5 more from 2026-12-01T02:02:30Z to 2026-12-01T02:02:30Z")
}
