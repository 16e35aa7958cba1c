package storetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// ConsoleStore is a receipt store that keeps the console too.
type ConsoleStore interface {
	receipt.Store
	console.Store
}

// RunConsole is the contract of console.Store: operators and their
// lock-out, sessions, the audit log, and insights that agree with the
// receipts stored. open must return an empty store each time.
func RunConsole(t *testing.T, open func(t *testing.T) ConsoleStore) {
	t.Run("Operators", func(t *testing.T) { runOperators(t, open(t)) })
	t.Run("Sessions", func(t *testing.T) { runSessions(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { runAudit(t, open(t)) })
	t.Run("AuditConcurrent", func(t *testing.T) { runAuditConcurrent(t, open(t)) })
	t.Run("Insights", func(t *testing.T) { runInsights(t, open(t)) })
	t.Run("InsightsEmpty", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		f := console.Filter{From: console.DayOf(time.Now()) - 30, To: console.DayOf(time.Now())}
		d, err := s.DecisionsByDay(ctx, f)
		require.NoError(t, err)
		assert.Empty(t, d)
		l, err := s.TimesToDecision(ctx, f)
		require.NoError(t, err)
		assert.Empty(t, l)
		h, err := s.Health(ctx, f.From)
		require.NoError(t, err)
		assert.Zero(t, h.Receipts)
		assert.Positive(t, h.SizeBytes+int64(h.SchemaVersion)+int64(len(h.Engine)))
	})
}

// NewOperator is an operator with a valid (and slow to compute) password
// hash; tests that sign in use the password "correct horse battery".
func NewOperator(t testing.TB, name string, role console.Role) console.Operator {
	t.Helper()
	o, err := console.NewOperator(name, role, "correct horse battery", time.Now())
	require.NoError(t, err)
	return o
}

func runOperators(t *testing.T, s ConsoleStore) {
	ctx := context.Background()
	officer := NewOperator(t, "li.na", console.Officer)
	viewer := officer
	viewer.Name, viewer.Role = "zhang-wei", console.Viewer
	require.NoError(t, s.AddOperator(ctx, viewer))
	require.NoError(t, s.AddOperator(ctx, officer))

	t.Run("OK", func(t *testing.T) {
		got, err := s.Operator(ctx, "li.na")
		require.NoError(t, err)
		assert.Equal(t, officer, got)
		all, err := s.ListOperators(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, "li.na", all[0].Name, "by name")
		assert.Equal(t, console.Viewer, all[1].Role)
	})
	t.Run("ErrNameTaken", func(t *testing.T) {
		assert.Equal(t, errs.Conflict, errs.Code(s.AddOperator(ctx, officer)))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.Operator(ctx, "nobody")
		assert.Equal(t, errs.NotFound, errs.Code(err))
		assert.Equal(t, errs.NotFound, errs.Code(s.SetDisabled(ctx, "nobody", true)))
		assert.Equal(t, errs.NotFound, errs.Code(s.SetPassword(ctx, "nobody", officer.PasswordHash)))
		_, err = s.SignInFailed(ctx, "nobody", time.Now(), 3, time.Minute)
		assert.Equal(t, errs.NotFound, errs.Code(err))
	})
	t.Run("LockOut", func(t *testing.T) {
		now := time.Now().UTC().Truncate(time.Microsecond)
		for i := 1; i <= 2; i++ {
			o, err := s.SignInFailed(ctx, "zhang-wei", now, 3, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, i, o.FailedAttempts)
			assert.False(t, o.Locked(now))
		}
		o, err := s.SignInFailed(ctx, "zhang-wei", now, 3, time.Minute)
		require.NoError(t, err)
		assert.True(t, o.Locked(now), "the third failure locks")
		assert.Equal(t, now.Add(time.Minute), o.LockedUntil)
		// Failures while locked do not extend the lock.
		o, err = s.SignInFailed(ctx, "zhang-wei", now.Add(30*time.Second), 3, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, now.Add(time.Minute), o.LockedUntil)
		// Once the lock ran out, counting starts again.
		later := now.Add(2 * time.Minute)
		o, err = s.SignInFailed(ctx, "zhang-wei", later, 3, time.Minute)
		require.NoError(t, err)
		assert.Equal(t, 1, o.FailedAttempts)
		assert.False(t, o.Locked(later))
		require.NoError(t, s.SignInSucceeded(ctx, "zhang-wei", later))
		o, err = s.Operator(ctx, "zhang-wei")
		require.NoError(t, err)
		assert.Zero(t, o.FailedAttempts)
		assert.Equal(t, later, o.LastSignIn)
	})
	t.Run("SetPasswordLiftsLock", func(t *testing.T) {
		now := time.Now()
		for range 3 {
			_, err := s.SignInFailed(ctx, "li.na", now, 3, time.Hour)
			require.NoError(t, err)
		}
		o, err := s.Operator(ctx, "li.na")
		require.NoError(t, err)
		require.True(t, o.Locked(now))
		hash, err := console.HashPassword("another long passphrase")
		require.NoError(t, err)
		require.NoError(t, s.SetPassword(ctx, "li.na", hash))
		o, err = s.Operator(ctx, "li.na")
		require.NoError(t, err)
		assert.False(t, o.Locked(now))
		assert.True(t, console.PasswordMatches(o.PasswordHash, "another long passphrase"))
	})
	// A new password is often set because the old one leaked: a session
	// opened with the old one ends with it, and only the operator's.
	t.Run("SetPasswordEndsSessions", func(t *testing.T) {
		now := time.Now()
		mine, _ := console.NewSession("li.na", now, time.Hour)
		theirs, _ := console.NewSession("zhang-wei", now, time.Hour)
		require.NoError(t, s.CreateSession(ctx, mine))
		require.NoError(t, s.CreateSession(ctx, theirs))
		hash, err := console.HashPassword("a third long passphrase")
		require.NoError(t, err)
		require.NoError(t, s.SetPassword(ctx, "li.na", hash))
		_, err = s.Session(ctx, mine.ID, now)
		assert.Equal(t, errs.NotFound, errs.Code(err), "the old password's session")
		_, err = s.Session(ctx, theirs.ID, now)
		assert.NoError(t, err, "another operator's session")
	})
	t.Run("DisableEndsSessions", func(t *testing.T) {
		now := time.Now()
		sess, _ := console.NewSession("zhang-wei", now, time.Hour)
		require.NoError(t, s.CreateSession(ctx, sess))
		require.NoError(t, s.SetDisabled(ctx, "zhang-wei", true))
		o, err := s.Operator(ctx, "zhang-wei")
		require.NoError(t, err)
		assert.True(t, o.Disabled)
		_, err = s.Session(ctx, sess.ID, now)
		assert.Equal(t, errs.NotFound, errs.Code(err))
		require.NoError(t, s.SetDisabled(ctx, "zhang-wei", false))
		o, err = s.Operator(ctx, "zhang-wei")
		require.NoError(t, err)
		assert.False(t, o.Disabled)
	})
}

func runSessions(t *testing.T, s ConsoleStore) {
	ctx := context.Background()
	require.NoError(t, s.AddOperator(ctx, NewOperator(t, "li.na", console.Officer)))
	now := time.Now()
	sess, token := console.NewSession("li.na", now, time.Hour)
	require.NoError(t, s.CreateSession(ctx, sess))

	got, err := s.Session(ctx, console.SessionID(token), now)
	require.NoError(t, err)
	assert.Equal(t, sess, got)

	_, err = s.Session(ctx, console.SessionID(token), now.Add(2*time.Hour))
	assert.Equal(t, errs.NotFound, errs.Code(err), "expired")
	_, err = s.Session(ctx, console.SessionID("another token"), now)
	assert.Equal(t, errs.NotFound, errs.Code(err))

	require.NoError(t, s.EndSession(ctx, sess.ID))
	_, err = s.Session(ctx, sess.ID, now)
	assert.Equal(t, errs.NotFound, errs.Code(err))
	assert.NoError(t, s.EndSession(ctx, sess.ID), "ending an ended session")
}

func auditEntry(i int) console.Entry {
	return console.Entry{At: time.Now(), Operator: "li.na", Role: console.Officer, Action: console.ActionViewSubject,
		Target: fmt.Sprintf("sub_%d", i), Outcome: console.OutcomeOK}
}

func runAudit(t *testing.T, s ConsoleStore) {
	ctx := context.Background()
	var appended []console.Entry
	for i := range 5 {
		e, err := s.Append(ctx, auditEntry(i))
		require.NoError(t, err)
		assert.Equal(t, int64(i+1), e.Seq)
		appended = append(appended, e)
	}
	var all []console.Entry
	require.NoError(t, s.ExportAudit(ctx, func(e console.Entry) error {
		all = append(all, e)
		return nil
	}))
	assert.Equal(t, appended, all)
	require.NoError(t, console.VerifyAudit(all))

	page, err := s.AuditPage(ctx, 0, 2)
	require.NoError(t, err)
	require.Len(t, page, 2)
	assert.Equal(t, []int64{5, 4}, []int64{page[0].Seq, page[1].Seq})
	page, err = s.AuditPage(ctx, 4, 10)
	require.NoError(t, err)
	require.Len(t, page, 3)
	assert.Equal(t, int64(1), page[2].Seq)
}

func runAuditConcurrent(t *testing.T, s ConsoleStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 24 {
		wg.Go(func() {
			_, err := s.Append(ctx, auditEntry(i))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	var all []console.Entry
	require.NoError(t, s.ExportAudit(ctx, func(e console.Entry) error {
		all = append(all, e)
		return nil
	}))
	require.Len(t, all, 24)
	assert.NoError(t, console.VerifyAudit(all), "one chain, whatever the order")
}

// insightRecord is a record decided at issued, shown shownBefore earlier
// (not shown when negative).
func insightRecord(subject string, prev *receipt.Record, version, surface, lang, decision string,
	states map[string]string, issued time.Time, shownBefore time.Duration) receipt.Record {
	r := NewRecord(subject, prev)
	r.PolicyVersion, r.Surface, r.Language, r.Decision, r.States = version, surface, lang, decision, states
	r.IssuedAt = issued
	r.ShownAt = time.Time{}
	if shownBefore >= 0 {
		r.ShownAt = issued.Add(-shownBefore)
	}
	return r
}

func runInsights(t *testing.T, s ConsoleStore) {
	ctx := context.Background()
	// Around midnight in Shanghai on 1 March 2025 (16:00 UTC), so that a
	// store counting by UTC days or by received times is caught.
	midnight := time.Date(2025, 3, 1, 16, 0, 0, 0, time.UTC)
	given, refused, withdrawn := receipt.StateGiven, receipt.StateRefused, receipt.StateWithdrawn
	app := func(push, location string) map[string]string {
		return map[string]string{"basic": given, "push": push, "location": location}
	}
	web := func(analytics string) map[string]string {
		return map[string]string{"necessary": given, "analytics": analytics}
	}
	var stored []receipt.Record
	put := func(r receipt.Record) *receipt.Record {
		t.Helper()
		got, created, err := s.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)
		require.True(t, created)
		stored = append(stored, got)
		return &got
	}
	a, b, c, d := NewSubject(), NewSubject(), NewSubject(), NewSubject()
	// a: first launch the day before, settings on the day, re-asked
	// under the new policy two days later.
	ra := put(insightRecord(a, nil, "2024-01", "first-launch", "zh-Hans", "agreed", app(given, refused), midnight.Add(-time.Second), 4*time.Second))
	ra = put(insightRecord(a, ra, "2024-01", "settings", "zh-Hans", "withdrawn", app(withdrawn, refused), midnight.Add(time.Hour), 130*time.Second))
	put(insightRecord(a, ra, "2025-02", "first-launch", "zh-Hans", "agreed", app(given, given), midnight.Add(49*time.Hour), 700*time.Second))
	// b: declines in English, no shown time, then is re-asked and
	// declines again.
	rb := put(insightRecord(b, nil, "2024-01", "first-launch", "en", "declined", app(refused, refused), midnight, -1))
	put(insightRecord(b, rb, "2025-02", "first-launch", "en", "declined", app(refused, refused), midnight.Add(50*time.Hour), 48*time.Hour))
	// c, d: the banner, on the day.
	put(insightRecord(c, nil, "2025-02", "web-banner", "zh-Hans", "agreed", web(given), midnight.Add(2*time.Hour), 9*time.Second))
	put(insightRecord(d, nil, "2025-02", "web-banner", "en", "declined", web(refused), midnight.Add(23*time.Hour+59*time.Minute), 9*time.Second))

	day := console.DayOf(midnight)
	require.Equal(t, "2025-03-02", day.String())
	checkInsights(t, s, stored, day)
	if f, ok := s.(Folder); ok {
		// Counted, the same receipts must read the same.
		for more := true; more; {
			var err error
			more, err = f.Fold(ctx)
			require.NoError(t, err)
		}
		t.Run("Folded", func(t *testing.T) { checkInsights(t, s, stored, day) })
	}
}

// Folder is a store that counts the insights in the background; Fold
// counts what is waiting, and reports whether more is.
type Folder interface {
	Fold(ctx context.Context) (more bool, err error)
}

func checkInsights(t *testing.T, s ConsoleStore, stored []receipt.Record, day console.Day) {
	ctx := context.Background()
	for _, f := range []console.Filter{
		{From: day - 1, To: day + 3},
		{From: day, To: day},
		{From: day - 1, To: day + 3, Surface: "first-launch"},
		{From: day - 1, To: day + 3, Language: "en"},
		{From: day - 1, To: day + 3, Surface: "web-banner", Language: "zh-Hans"},
		{From: day + 5, To: day + 6},
	} {
		t.Run(fmt.Sprintf("%s..%s/%s/%s", f.From, f.To, f.Surface, f.Language), func(t *testing.T) {
			want := expectInsights(stored, f)
			decisions, err := s.DecisionsByDay(ctx, f)
			require.NoError(t, err)
			assert.ElementsMatch(t, want.decisions, decisions)
			purposes, err := s.PurposeStates(ctx, f)
			require.NoError(t, err)
			assert.ElementsMatch(t, want.purposes, purposes)
			times, err := s.TimesToDecision(ctx, f)
			require.NoError(t, err)
			assert.ElementsMatch(t, want.latency, times)
			reasks, err := s.Reasks(ctx, f)
			require.NoError(t, err)
			assert.ElementsMatch(t, want.reasks, reasks)
			rp, err := s.ReaskPurposes(ctx, f)
			require.NoError(t, err)
			assert.ElementsMatch(t, want.reaskPurposes, rp)
		})
	}
	t.Run("Figures", func(t *testing.T) {
		// The expectation above, spelled out once for the whole period.
		f := console.Filter{From: day - 1, To: day + 3}
		decisions, err := s.DecisionsByDay(ctx, f)
		require.NoError(t, err)
		assert.ElementsMatch(t, []console.DecisionCount{
			{Day: day - 1, Decision: "agreed", N: 1},
			{Day: day, Decision: "withdrawn", N: 1}, {Day: day, Decision: "declined", N: 2}, {Day: day, Decision: "agreed", N: 1},
			{Day: day + 2, Decision: "agreed", N: 1}, {Day: day + 2, Decision: "declined", N: 1},
		}, decisions)
		times, err := s.TimesToDecision(ctx, f)
		require.NoError(t, err)
		assert.ElementsMatch(t, []console.LatencyCount{{Seconds: 4, N: 1}, {Seconds: 9, N: 2}, {Seconds: 130, N: 1},
			{Seconds: 660, N: 1}, {Seconds: 86400, N: 1}}, times)
		median, ok := console.Quantile(times, 0.5)
		assert.True(t, ok)
		assert.Equal(t, int64(9), median, "the lower median of six")
		reasks, err := s.Reasks(ctx, f)
		require.NoError(t, err)
		assert.ElementsMatch(t, []console.ReaskCount{
			{PolicyVersion: "2025-02", Decision: "agreed", N: 1}, {PolicyVersion: "2025-02", Decision: "declined", N: 1}}, reasks)
	})
	t.Run("Health", func(t *testing.T) {
		h, err := s.Health(ctx, day-1)
		require.NoError(t, err)
		assert.Equal(t, int64(len(stored)), h.Receipts)
		assert.Positive(t, h.SizeBytes)
		assert.Equal(t, []console.DayTotal{{Day: day - 1, N: 1}, {Day: day, N: 4}, {Day: day + 2, N: 2}}, h.PerDay)
	})
}

type insights struct {
	decisions     []console.DecisionCount
	purposes      []console.PurposeCount
	latency       []console.LatencyCount
	reasks        []console.ReaskCount
	reaskPurposes []console.ReaskPurposeCount
}

// expectInsights counts records as the insights must, the plain way.
func expectInsights(records []receipt.Record, f console.Filter) insights {
	dec, pur, lat := map[console.DecisionCount]int64{}, map[console.PurposeCount]int64{}, map[int64]int64{}
	re, rp := map[console.ReaskCount]int64{}, map[console.ReaskPurposeCount]int64{}
	for _, r := range records {
		day := console.DayOf(r.IssuedAt)
		if day < f.From || day > f.To || (f.Surface != "" && r.Surface != f.Surface) || (f.Language != "" && r.Language != f.Language) {
			continue
		}
		dec[console.DecisionCount{Day: day, Decision: r.Decision}]++
		for p, st := range r.States {
			pur[console.PurposeCount{Audience: console.AudienceOf(r.Surface), Purpose: p, State: st}]++
			if r.Reask {
				rp[console.ReaskPurposeCount{PolicyVersion: r.PolicyVersion, Audience: console.AudienceOf(r.Surface), Purpose: p, State: st}]++
			}
		}
		if r.Reask {
			re[console.ReaskCount{PolicyVersion: r.PolicyVersion, Decision: r.Decision}]++
		}
		// Whole seconds, truncated towards zero.
		if secs := (r.IssuedAt.UnixMicro() - r.ShownAt.UnixMicro()) / 1e6; !r.ShownAt.IsZero() && secs >= 0 {
			lat[console.LatencyBucket(secs)]++
		}
	}
	var out insights
	for k, n := range dec {
		k.N = n
		out.decisions = append(out.decisions, k)
	}
	for k, n := range pur {
		k.N = n
		out.purposes = append(out.purposes, k)
	}
	for s, n := range lat {
		out.latency = append(out.latency, console.LatencyCount{Seconds: s, N: n})
	}
	for k, n := range re {
		k.N = n
		out.reasks = append(out.reasks, k)
	}
	for k, n := range rp {
		k.N = n
		out.reaskPurposes = append(out.reaskPurposes, k)
	}
	sort.Slice(out.latency, func(i, j int) bool { return out.latency[i].Seconds < out.latency[j].Seconds })
	return out
}

// CheckMigratedInsights checks that a store migrated from f's schema-1
// rows counts them in its insights as if they had been stored since.
func CheckMigratedInsights(t *testing.T, s console.Insights, f V1Fixture) {
	t.Helper()
	ctx := context.Background()
	from, to := console.DayOf(f.Want[0].IssuedAt), console.DayOf(f.Want[len(f.Want)-1].IssuedAt)
	filter := console.Filter{From: from - 1, To: to + 1}
	want := expectInsights(f.Want, filter)
	require.NotEmpty(t, want.decisions)
	decisions, err := s.DecisionsByDay(ctx, filter)
	require.NoError(t, err)
	assert.ElementsMatch(t, want.decisions, decisions)
	purposes, err := s.PurposeStates(ctx, filter)
	require.NoError(t, err)
	assert.ElementsMatch(t, want.purposes, purposes)
	reasks, err := s.Reasks(ctx, filter)
	require.NoError(t, err)
	require.NotEmpty(t, want.reasks, "the fixture holds a re-ask")
	assert.ElementsMatch(t, want.reasks, reasks)
}

// Rewrite replaces a store's whole audit log with entries, as someone who
// can write the database can: its append-only triggers dropped or
// disabled, rows deleted and inserted again.
type Rewrite func(t *testing.T, entries []console.Entry)

// CheckAuditAnchored is the attack the hash chain alone cannot show: an
// entry deleted from the database and every hash after it recomputed. The
// log, anchored by a checkpoint signed with the server's key, must then
// fail console.VerifyAnchored, though console.VerifyAudit finds the chain
// whole. rewrite does what a store's own SQL allows.
func CheckAuditAnchored(t *testing.T, s ConsoleStore, rewrite Rewrite) {
	ctx := context.Background()
	keys, err := receipt.NewKeyring()
	require.NoError(t, err)
	var last console.Entry
	for i := range 10 {
		last, err = s.Append(ctx, auditEntry(i))
		require.NoError(t, err)
	}
	cp, err := console.NewCheckpoint(last, time.Now(), keys)
	require.NoError(t, err)
	_, err = s.Append(ctx, cp)
	require.NoError(t, err)
	for i := 10; i < 12; i++ {
		_, err = s.Append(ctx, auditEntry(i))
		require.NoError(t, err)
	}
	export := func() []console.Entry {
		var all []console.Entry
		require.NoError(t, s.ExportAudit(ctx, func(e console.Entry) error {
			all = append(all, e)
			return nil
		}))
		return all
	}
	before := export()
	got, err := console.VerifyAnchored(before, keys.JWKS())
	require.NoError(t, err)
	require.Equal(t, int64(10), got.Through)

	// Entry 4 (someone's look-up, say) goes, and the chain is recomputed
	// from there on, numbers included.
	var forged []console.Entry
	for _, e := range before {
		if e.Seq == 4 {
			continue
		}
		if len(forged) == 0 {
			e.Chain(nil)
		} else {
			e.Chain(&forged[len(forged)-1])
		}
		forged = append(forged, e)
	}
	rewrite(t, forged)
	after := export()
	require.Len(t, after, len(before)-1, "the rewrite took")
	require.NoError(t, console.VerifyAudit(after), "the hash chain alone sees nothing")
	_, err = console.VerifyAnchored(after, keys.JWKS())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "audit[9]: checkpoint names entry 10, which is not before it")
}
