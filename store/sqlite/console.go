package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/errs"
)

var _ console.Store = (*DB)(nil)

// The console's writes go through the store's one writer, like receipts:
// SQLite has one writer per file, and this keeps it the only one.

const operatorColumns = `name, role, password_hash, disabled, created_at, failed_attempts, locked_until, last_sign_in`

func scanOperator(row scanner) (console.Operator, error) {
	var (
		o                             console.Operator
		role                          string
		created, locked, lastSignedIn int64
	)
	err := row.Scan(&o.Name, &role, &o.PasswordHash, &o.Disabled, &created, &o.FailedAttempts, &locked, &lastSignedIn)
	if errors.Is(err, sql.ErrNoRows) {
		return console.Operator{}, errs.New(errs.NotFound, "operator: no such operator")
	}
	if err != nil {
		return console.Operator{}, err
	}
	o.Role = console.Role(role)
	o.CreatedAt = micros(created)
	o.LockedUntil = micros(locked)
	o.LastSignIn = micros(lastSignedIn)
	return o, nil
}

// micros reads Unix microseconds, 0 being the zero time.
func micros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func unixMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// AddOperator implements console.Operators.
func (db *DB) AddOperator(ctx context.Context, o console.Operator) error {
	return db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO operators (`+operatorColumns+`) VALUES (?, ?, ?, ?, ?, 0, 0, 0)`,
			o.Name, string(o.Role), o.PasswordHash, o.Disabled, unixMicros(o.CreatedAt))
		if isUnique(err) {
			return errs.New(errs.Conflict, "operator: %q exists already", o.Name)
		}
		return err
	})
}

// Operator implements console.Operators.
func (db *DB) Operator(ctx context.Context, name string) (console.Operator, error) {
	return scanOperator(db.read.QueryRowContext(ctx, `SELECT `+operatorColumns+` FROM operators WHERE name = ?`, name))
}

// ListOperators implements console.Operators.
func (db *DB) ListOperators(ctx context.Context) ([]console.Operator, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+operatorColumns+` FROM operators ORDER BY name`)
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

// updateOperator runs an UPDATE of one operator and reports errs.NotFound
// when no operator has the name.
func updateOperator(ctx context.Context, tx *sql.Tx, name, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(err, errs.New(errs.NotFound, "operator: no operator named %q", name))
	}
	return nil
}

// SetDisabled implements console.Operators.
func (db *DB) SetDisabled(ctx context.Context, name string, disabled bool) error {
	return db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := updateOperator(ctx, tx, name, `UPDATE operators SET disabled = ? WHERE name = ?`, disabled, name); err != nil {
			return err
		}
		if disabled {
			_, err := tx.ExecContext(ctx, `DELETE FROM operator_sessions WHERE operator = ?`, name)
			return err
		}
		return nil
	})
}

// SetPassword implements console.Operators. The operator's sessions end in
// the same transaction: a new password is often set because the old one
// leaked, and a session opened with it must not outlive it.
func (db *DB) SetPassword(ctx context.Context, name, hash string) error {
	return db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := updateOperator(ctx, tx, name,
			`UPDATE operators SET password_hash = ?, failed_attempts = 0, locked_until = 0 WHERE name = ?`, hash, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM operator_sessions WHERE operator = ?`, name)
		return err
	})
}

// SignInFailed implements console.Operators.
func (db *DB) SignInFailed(ctx context.Context, name string, now time.Time, max int, lockFor time.Duration) (console.Operator, error) {
	var o console.Operator
	err := db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// A lock that has run out starts the count again.
		err := updateOperator(ctx, tx, name, `UPDATE operators SET
				failed_attempts = CASE WHEN locked_until <> 0 AND locked_until <= ?1 THEN 1 ELSE failed_attempts + 1 END,
				locked_until = CASE WHEN locked_until <> 0 AND locked_until <= ?1 THEN 0 ELSE locked_until END
			WHERE name = ?2`, now.UnixMicro(), name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE operators SET locked_until = ? WHERE name = ? AND failed_attempts >= ? AND locked_until = 0`,
			now.Add(lockFor).UnixMicro(), name, max); err != nil {
			return err
		}
		o, err = scanOperator(tx.QueryRowContext(ctx, `SELECT `+operatorColumns+` FROM operators WHERE name = ?`, name))
		return err
	})
	return o, err
}

// SignInSucceeded implements console.Operators.
func (db *DB) SignInSucceeded(ctx context.Context, name string, now time.Time) error {
	return db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return updateOperator(ctx, tx, name,
			`UPDATE operators SET failed_attempts = 0, locked_until = 0, last_sign_in = ? WHERE name = ?`, now.UnixMicro(), name)
	})
}

// CreateSession implements console.Sessions. It also forgets the sessions
// that have expired.
func (db *DB) CreateSession(ctx context.Context, s console.Session) error {
	return db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM operator_sessions WHERE expires_at <= ?`, s.CreatedAt.UnixMicro()); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO operator_sessions (id, operator, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
			s.ID, s.Operator, s.CSRF, s.CreatedAt.UnixMicro(), s.ExpiresAt.UnixMicro())
		return err
	})
}

// Session implements console.Sessions.
func (db *DB) Session(ctx context.Context, id string, now time.Time) (console.Session, error) {
	var s console.Session
	var created, expires int64
	err := db.read.QueryRowContext(ctx, `SELECT id, operator, csrf, created_at, expires_at FROM operator_sessions
		WHERE id = ? AND expires_at > ?`, id, now.UnixMicro()).Scan(&s.ID, &s.Operator, &s.CSRF, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return console.Session{}, errs.New(errs.NotFound, "session: none")
	}
	if err != nil {
		return console.Session{}, err
	}
	s.CreatedAt, s.ExpiresAt = micros(created), micros(expires)
	return s, nil
}

// EndSession implements console.Sessions.
func (db *DB) EndSession(ctx context.Context, id string) error {
	return db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM operator_sessions WHERE id = ?`, id)
		return err
	})
}

const auditColumns = `seq, at, operator, role, action, target, outcome, prev_hash, hash`

func scanEntry(row scanner) (console.Entry, error) {
	var e console.Entry
	var at int64
	var role string
	if err := row.Scan(&e.Seq, &at, &e.Operator, &role, &e.Action, &e.Target, &e.Outcome, &e.PrevHash, &e.Hash); err != nil {
		return console.Entry{}, err
	}
	e.At, e.Role = time.UnixMicro(at).UTC(), console.Role(role)
	return e, nil
}

// Append implements console.Audit.
func (db *DB) Append(ctx context.Context, e console.Entry) (console.Entry, error) {
	var stored console.Entry
	err := db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stored = e
		last, err := scanEntry(tx.QueryRowContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq DESC LIMIT 1`))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			stored.Chain(nil)
		case err != nil:
			return err
		default:
			stored.Chain(&last)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			stored.Seq, stored.At.UnixMicro(), stored.Operator, string(stored.Role), stored.Action, stored.Target, stored.Outcome,
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
	rows, err := db.read.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?`, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []console.Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ExportAudit implements console.Audit.
func (db *DB) ExportAudit(ctx context.Context, fn func(console.Entry) error) error {
	rows, err := db.read.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit_log ORDER BY seq`)
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
