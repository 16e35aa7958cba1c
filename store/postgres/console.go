package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/errs"
)

var _ console.Store = (*DB)(nil)

// auditLock is the advisory lock key that makes appends to the audit log
// take turns across instances: each entry names the hash of the one before.
const auditLock = 0x6b632d6175646974 // "kc-audit"

// The console's writes are few and small: they run in transactions of
// their own on the pool, beside the receipts' writer.

const operatorColumns = `name, role, password_hash, disabled, created_at, failed_attempts, locked_until, last_sign_in`

func scanOperator(row pgx.Row) (console.Operator, error) {
	var (
		o                    console.Operator
		role                 string
		locked, lastSignedIn *time.Time
	)
	err := row.Scan(&o.Name, &role, &o.PasswordHash, &o.Disabled, &o.CreatedAt, &o.FailedAttempts, &locked, &lastSignedIn)
	if errors.Is(err, pgx.ErrNoRows) {
		return console.Operator{}, errs.New(errs.NotFound, "operator: no such operator")
	}
	if err != nil {
		return console.Operator{}, err
	}
	o.Role = console.Role(role)
	o.CreatedAt = o.CreatedAt.UTC()
	if locked != nil {
		o.LockedUntil = locked.UTC()
	}
	if lastSignedIn != nil {
		o.LastSignIn = lastSignedIn.UTC()
	}
	return o, nil
}

// AddOperator implements console.Operators.
func (db *DB) AddOperator(ctx context.Context, o console.Operator) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO operators (name, role, password_hash, disabled, created_at) VALUES ($1, $2, $3, $4, $5)`,
		o.Name, string(o.Role), o.PasswordHash, o.Disabled, o.CreatedAt)
	if isUnique(err) {
		return errs.New(errs.Conflict, "operator: %q exists already", o.Name)
	}
	return err
}

// Operator implements console.Operators.
func (db *DB) Operator(ctx context.Context, name string) (console.Operator, error) {
	return scanOperator(db.pool.QueryRow(ctx, `SELECT `+operatorColumns+` FROM operators WHERE name = $1`, name))
}

// ListOperators implements console.Operators.
func (db *DB) ListOperators(ctx context.Context) ([]console.Operator, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+operatorColumns+` FROM operators ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []console.Operator
	for rows.Next() {
		o, err := scanOperator(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func operatorNotFound(name string) error {
	return errs.New(errs.NotFound, "operator: no operator named %q", name)
}

// SetDisabled implements console.Operators.
func (db *DB) SetDisabled(ctx context.Context, name string, disabled bool) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE operators SET disabled = $1 WHERE name = $2`, disabled, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return operatorNotFound(name)
		}
		if disabled {
			_, err = tx.Exec(ctx, `DELETE FROM operator_sessions WHERE operator = $1`, name)
		}
		return err
	})
}

// SetPassword implements console.Operators. The operator's sessions end in
// the same transaction: a new password is often set because the old one
// leaked, and a session opened with it must not outlive it.
func (db *DB) SetPassword(ctx context.Context, name, hash string) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE operators SET password_hash = $1, failed_attempts = 0, locked_until = NULL WHERE name = $2`, hash, name)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return operatorNotFound(name)
		}
		_, err = tx.Exec(ctx, `DELETE FROM operator_sessions WHERE operator = $1`, name)
		return err
	})
}

// SignInFailed implements console.Operators. One statement: concurrent
// failures each count, and the one that reaches max locks.
func (db *DB) SignInFailed(ctx context.Context, name string, now time.Time, max int, lockFor time.Duration) (console.Operator, error) {
	o, err := scanOperator(db.pool.QueryRow(ctx, `UPDATE operators SET
			failed_attempts = CASE WHEN locked_until <= $1 THEN 1 ELSE failed_attempts + 1 END,
			locked_until = CASE
				WHEN locked_until > $1 THEN locked_until
				WHEN (CASE WHEN locked_until <= $1 THEN 1 ELSE failed_attempts + 1 END) >= $3 THEN $4::timestamptz
				ELSE NULL END
		WHERE name = $2 RETURNING `+operatorColumns, now, name, max, now.Add(lockFor)))
	if errs.Code(err) == errs.NotFound {
		return o, operatorNotFound(name)
	}
	return o, err
}

// SignInSucceeded implements console.Operators.
func (db *DB) SignInSucceeded(ctx context.Context, name string, now time.Time) error {
	tag, err := db.pool.Exec(ctx, `UPDATE operators SET failed_attempts = 0, locked_until = NULL, last_sign_in = $1 WHERE name = $2`, now, name)
	if err == nil && tag.RowsAffected() == 0 {
		return operatorNotFound(name)
	}
	return err
}

// CreateSession implements console.Sessions. It also forgets the sessions
// that have expired.
func (db *DB) CreateSession(ctx context.Context, s console.Session) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM operator_sessions WHERE expires_at <= $1`, s.CreatedAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO operator_sessions (id, operator, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			s.ID, s.Operator, s.CSRF, s.CreatedAt, s.ExpiresAt)
		return err
	})
}

// Session implements console.Sessions.
func (db *DB) Session(ctx context.Context, id string, now time.Time) (console.Session, error) {
	var s console.Session
	err := db.pool.QueryRow(ctx, `SELECT id, operator, csrf, created_at, expires_at FROM operator_sessions
		WHERE id = $1 AND expires_at > $2`, id, now).Scan(&s.ID, &s.Operator, &s.CSRF, &s.CreatedAt, &s.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return console.Session{}, errs.New(errs.NotFound, "session: none")
	}
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	return s, err
}

// EndSession implements console.Sessions.
func (db *DB) EndSession(ctx context.Context, id string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM operator_sessions WHERE id = $1`, id)
	return err
}

const auditColumns = `seq, at, operator, role, action, target, outcome, prev_hash, hash`

func scanEntry(row pgx.Row) (console.Entry, error) {
	var e console.Entry
	var role string
	if err := row.Scan(&e.Seq, &e.At, &e.Operator, &role, &e.Action, &e.Target, &e.Outcome, &e.PrevHash, &e.Hash); err != nil {
		return console.Entry{}, err
	}
	e.At, e.Role = e.At.UTC(), console.Role(role)
	return e, nil
}

// Append implements console.Audit.
func (db *DB) Append(ctx context.Context, e console.Entry) (console.Entry, error) {
	var stored console.Entry
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		stored = e
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(auditLock)); err != nil {
			return err
		}
		last, err := scanEntry(tx.QueryRow(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq DESC LIMIT 1`))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			stored.Chain(nil)
		case err != nil:
			return err
		default:
			stored.Chain(&last)
		}
		_, err = tx.Exec(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			stored.Seq, stored.At, stored.Operator, string(stored.Role), stored.Action, stored.Target, stored.Outcome,
			stored.PrevHash, stored.Hash)
		return err
	})
	return stored, err
}

// AuditPage implements console.Audit.
func (db *DB) AuditPage(ctx context.Context, before int64, limit int) ([]console.Entry, error) {
	if before <= 0 {
		before = 1<<63 - 1
	}
	return collect(ctx, db, `SELECT `+auditColumns+` FROM audit_log WHERE seq < $1 ORDER BY seq DESC LIMIT $2`,
		[]any{before, limit}, scanEntry)
}

// ExportAudit implements console.Audit.
func (db *DB) ExportAudit(ctx context.Context, fn func(console.Entry) error) error {
	rows, err := db.pool.Query(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// where is the WHERE clause of f over the insight tables, and its
// arguments.
func where(f console.Filter) (string, []any) {
	clause := []string{"day BETWEEN $1 AND $2"}
	args := []any{int32(f.From), int32(f.To)}
	if f.Surface != "" {
		args = append(args, f.Surface)
		clause = append(clause, "surface = $"+strconv.Itoa(len(args)))
	}
	if f.Language != "" {
		args = append(args, f.Language)
		clause = append(clause, "language = $"+strconv.Itoa(len(args)))
	}
	return " WHERE " + strings.Join(clause, " AND "), args
}

// DecisionsByDay implements console.Insights.
func (db *DB) DecisionsByDay(ctx context.Context, f console.Filter) ([]console.DecisionCount, error) {
	w, args := where(f)
	return collect(ctx, db, `SELECT day, decision, sum(n)::bigint FROM insight_decisions`+w+` GROUP BY day, decision ORDER BY day, decision`, args,
		func(r pgx.Row) (c console.DecisionCount, err error) { return c, r.Scan(&c.Day, &c.Decision, &c.N) })
}

// PurposeStates implements console.Insights.
func (db *DB) PurposeStates(ctx context.Context, f console.Filter) ([]console.PurposeCount, error) {
	w, args := where(f)
	return collect(ctx, db, `SELECT `+console.AudienceSQL("surface")+`, purpose, state, sum(n)::bigint FROM insight_purposes`+w+` GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, args,
		func(r pgx.Row) (c console.PurposeCount, err error) {
			return c, r.Scan(&c.Audience, &c.Purpose, &c.State, &c.N)
		})
}

// TimesToDecision implements console.Insights.
func (db *DB) TimesToDecision(ctx context.Context, f console.Filter) ([]console.LatencyCount, error) {
	w, args := where(f)
	return collect(ctx, db, `SELECT seconds, sum(n)::bigint FROM insight_latency`+w+` GROUP BY seconds ORDER BY seconds`, args,
		func(r pgx.Row) (c console.LatencyCount, err error) { return c, r.Scan(&c.Seconds, &c.N) })
}

// Reasks implements console.Insights.
func (db *DB) Reasks(ctx context.Context, f console.Filter) ([]console.ReaskCount, error) {
	w, args := where(f)
	return collect(ctx, db, `SELECT policy_version, decision, sum(n)::bigint FROM insight_decisions`+w+` AND reask
		GROUP BY policy_version, decision ORDER BY policy_version, decision`, args,
		func(r pgx.Row) (c console.ReaskCount, err error) {
			return c, r.Scan(&c.PolicyVersion, &c.Decision, &c.N)
		})
}

// ReaskPurposes implements console.Insights.
func (db *DB) ReaskPurposes(ctx context.Context, f console.Filter) ([]console.ReaskPurposeCount, error) {
	w, args := where(f)
	return collect(ctx, db, `SELECT policy_version, `+console.AudienceSQL("surface")+`, purpose, state, sum(n)::bigint FROM insight_purposes`+w+` AND reask
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`, args,
		func(r pgx.Row) (c console.ReaskPurposeCount, err error) {
			return c, r.Scan(&c.PolicyVersion, &c.Audience, &c.Purpose, &c.State, &c.N)
		})
}

// Health implements console.Insights.
func (db *DB) Health(ctx context.Context, since console.Day) (console.Health, error) {
	h := console.Health{Engine: "PostgreSQL"}
	err := db.pool.QueryRow(ctx, `SELECT (SELECT coalesce(max(version), 0) FROM schema_migrations),
		pg_database_size(current_database()), (SELECT coalesce(sum(n), 0)::bigint FROM insight_decisions)`).
		Scan(&h.SchemaVersion, &h.SizeBytes, &h.Receipts)
	if err != nil {
		return h, fmt.Errorf("health: %w", err)
	}
	h.PerDay, err = collect(ctx, db, `SELECT day, sum(n)::bigint FROM insight_decisions WHERE day >= $1 GROUP BY day ORDER BY day`,
		[]any{int32(since)}, func(r pgx.Row) (d console.DayTotal, err error) { return d, r.Scan(&d.Day, &d.N) })
	return h, err
}

// collect runs a read and scans each row with scan.
func collect[T any](ctx context.Context, db *DB, q string, args []any, scan func(pgx.Row) (T, error)) ([]T, error) {
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
