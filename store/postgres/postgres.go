package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/put"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the advisory lock key that keeps two instances starting
// together from migrating at once.
const migrationLock = 0x6b6169636f6e6e // "kaiconn"

// DB is a receipt.Store backed by a PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool
}

var _ receipt.Store = (*DB)(nil)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string) and brings its schema up to date.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, errs.New(errs.Invalid, "dsn: %v", err)
	}
	cfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, `SELECT set_config('synchronous_commit', 'on', false)
			WHERE current_setting('synchronous_commit') = 'off'`)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	return db, nil
}

// migrate applies, in one transaction, the embedded migrations not yet
// recorded in schema_migrations.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)

	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var version int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&version); err != nil {
			return err
		}
		for _, name := range names {
			n, err := migrationVersion(name)
			if err != nil {
				return err
			}
			if n <= version {
				continue
			}
			text, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(text)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// migrationVersion reads the number a migration file name starts with.
func migrationVersion(name string) (int, error) {
	base := strings.TrimPrefix(name, "migrations/")
	digits, _, ok := strings.Cut(base, "_")
	n, err := strconv.Atoi(digits)
	if !ok || err != nil || n <= 0 {
		return 0, fmt.Errorf("migration %s: name must start with a positive number and '_'", name)
	}
	return n, nil
}

// Close closes the pool; it is safe to call more than once.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

const columns = `id, subject, prev_hash, hash, policy_version, surface, issued_at, received_at, body, countersig, key_id`

// Put implements receipt.Store.
func (db *DB) Put(ctx context.Context, r receipt.Record) (receipt.Record, bool, error) {
	r, err := put.Prepare(r, time.Now())
	if err != nil {
		return receipt.Record{}, false, err
	}

	created, err := db.insert(ctx, r)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
		// Either a concurrent Put of the same id won (a retry: answer
		// with its record), or one of a different id took the head.
		stored, err := db.Get(ctx, r.ID)
		if err == nil {
			return stored, false, nil
		}
		if errs.Code(err) == errs.NotFound {
			return receipt.Record{}, false, put.ErrChain()
		}
		return receipt.Record{}, false, err
	}
	if err != nil {
		return receipt.Record{}, false, err
	}
	if created == nil {
		return r, true, nil
	}
	return *created, false, nil
}

// insert stores r in one transaction. It returns the record already stored
// under r.ID when there is one, or nil once r is committed.
func (db *DB) insert(ctx context.Context, r receipt.Record) (*receipt.Record, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: put: begin: %w", err)
	}
	defer tx.Rollback(ctx)

	// The head is read before the id is looked up, not after: under READ
	// COMMITTED each statement sees the latest commits, so a concurrent
	// retry of this very receipt that commits in between is then found by
	// id, rather than taken for a writer that moved the head.
	var head string
	err = tx.QueryRow(ctx, `SELECT hash FROM receipts WHERE subject = $1 ORDER BY seq DESC LIMIT 1`, r.Subject).Scan(&head)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: put: head: %w", err)
	}

	stored, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM receipts WHERE id = $1`, r.ID))
	switch {
	case err == nil:
		return &stored, nil
	case errs.Code(err) != errs.NotFound:
		return nil, fmt.Errorf("postgres: put: %w", err)
	}

	if head != r.PrevHash {
		return nil, put.ErrChain()
	}

	// A writer that read the same head and committed first makes this
	// insert fail on receipts_chain (or on id, for a concurrent retry);
	// Put sorts out which.
	_, err = tx.Exec(ctx, `INSERT INTO receipts (`+columns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		r.ID, r.Subject, r.PrevHash, r.Hash, r.PolicyVersion, r.Surface,
		r.IssuedAt, r.ReceivedAt, r.Body, r.Countersig, r.KeyID)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("postgres: put: commit: %w", err)
	}
	return nil, nil
}

// Get implements receipt.Store.
func (db *DB) Get(ctx context.Context, id string) (receipt.Record, error) {
	return scan(db.pool.QueryRow(ctx, `SELECT `+columns+` FROM receipts WHERE id = $1`, id))
}

// Head implements receipt.Store.
func (db *DB) Head(ctx context.Context, subject string) (receipt.Record, error) {
	return scan(db.pool.QueryRow(ctx,
		`SELECT `+columns+` FROM receipts WHERE subject = $1 ORDER BY seq DESC LIMIT 1`, subject))
}

// Subject implements receipt.Store.
func (db *DB) Subject(ctx context.Context, subject string) ([]receipt.Record, error) {
	var all []receipt.Record
	err := db.each(ctx, func(r receipt.Record) error {
		all = append(all, r)
		return nil
	}, `SELECT `+columns+` FROM receipts WHERE subject = $1 ORDER BY seq`, subject)
	return all, err
}

// Export implements receipt.Store. pgx reads rows off the connection as
// they are scanned, so an export of any size holds one record in memory.
func (db *DB) Export(ctx context.Context, fn func(receipt.Record) error) error {
	return db.each(ctx, fn, `SELECT `+columns+` FROM receipts ORDER BY seq`)
}

func (db *DB) each(ctx context.Context, fn func(receipt.Record) error, query string, args ...any) error {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scan reads one record; a missing row is errs.NotFound.
func scan(row pgx.Row) (receipt.Record, error) {
	var r receipt.Record
	err := row.Scan(&r.ID, &r.Subject, &r.PrevHash, &r.Hash, &r.PolicyVersion, &r.Surface,
		&r.IssuedAt, &r.ReceivedAt, &r.Body, &r.Countersig, &r.KeyID)
	if errors.Is(err, pgx.ErrNoRows) {
		return receipt.Record{}, errs.New(errs.NotFound, "receipt: no such receipt")
	}
	if err != nil {
		return receipt.Record{}, err
	}
	r.IssuedAt = r.IssuedAt.UTC()
	r.ReceivedAt = r.ReceivedAt.UTC()
	if r.Body == nil {
		r.Body = []byte{}
	}
	return r, nil
}
