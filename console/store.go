package console

import (
	"context"
	"time"
)

// Operators keeps the operators and their sign-in state.
type Operators interface {
	// AddOperator adds o; errs.Conflict when the name is taken.
	AddOperator(ctx context.Context, o Operator) error
	// Operator returns the operator named name; errs.NotFound when none.
	Operator(ctx context.Context, name string) (Operator, error)
	// ListOperators returns every operator, by name.
	ListOperators(ctx context.Context) ([]Operator, error)
	// SetDisabled disables or enables an operator; disabling ends the
	// operator's sessions. errs.NotFound when none has the name.
	SetDisabled(ctx context.Context, name string, disabled bool) error
	// SetPassword replaces an operator's password hash, lifts any
	// lock-out and ends the operator's sessions, at once. errs.NotFound
	// when none has the name.
	SetPassword(ctx context.Context, name, hash string) error
	// SignInFailed counts a failed sign-in at now, atomically, and locks
	// the operator until now+lockFor when it is the max-th in a row. It
	// returns the operator as it is then.
	SignInFailed(ctx context.Context, name string, now time.Time, max int, lockFor time.Duration) (Operator, error)
	// SignInSucceeded resets the count of failures and records now as the
	// last sign-in.
	SignInSucceeded(ctx context.Context, name string, now time.Time) error
}

// Sessions keeps the operators' sessions.
type Sessions interface {
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session with that id; errs.NotFound when there
	// is none, or it has expired.
	Session(ctx context.Context, id string, now time.Time) (Session, error)
	// EndSession removes a session; ending one that is gone is no error.
	EndSession(ctx context.Context, id string) error
}

// Audit keeps the audit log. It only grows.
type Audit interface {
	// Append adds e at the end of the log (Entry.Chain) and returns it as
	// stored.
	Append(ctx context.Context, e Entry) (Entry, error)
	// AuditPage returns up to limit entries older than before (the newest
	// when before is 0), newest first.
	AuditPage(ctx context.Context, before int64, limit int) ([]Entry, error)
	// ExportAudit calls fn for every entry, oldest first.
	ExportAudit(ctx context.Context, fn func(Entry) error) error
}

// Insights counts the receipts. Stores answer from counts they keep in
// the transaction that stores each receipt, by Day, surface, language,
// policy version, decision and re-ask, so that no query reads receipts.
type Insights interface {
	DecisionsByDay(ctx context.Context, f Filter) ([]DecisionCount, error)
	PurposeStates(ctx context.Context, f Filter) ([]PurposeCount, error)
	TimesToDecision(ctx context.Context, f Filter) ([]LatencyCount, error)
	Reasks(ctx context.Context, f Filter) ([]ReaskCount, error)
	ReaskPurposes(ctx context.Context, f Filter) ([]ReaskPurposeCount, error)
	// Health describes the store, with the receipts counted per day from
	// since to today.
	Health(ctx context.Context, since Day) (Health, error)
}

// Health is what the operations page shows of the store.
type Health struct {
	Engine        string // "SQLite" or "PostgreSQL"
	SchemaVersion int
	SizeBytes     int64 // the database's size on disk
	Receipts      int64
	PerDay        []DayTotal
}

// DayTotal is how many receipts were decided on a day.
type DayTotal struct {
	Day Day
	N   int64
}

// Store is everything the console keeps: what the SQLite, PostgreSQL and
// memory stores implement beside receipt.Store.
type Store interface {
	Operators
	Sessions
	Audit
	Insights
}
