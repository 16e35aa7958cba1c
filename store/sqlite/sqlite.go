package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/put"
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout bounds how long a connection waits for another process
// holding the lock (a backup, an operator's sqlite3 shell) before failing.
const busyTimeout = 10 * time.Second

// DB is a receipt.Store backed by one SQLite file.
type DB struct {
	write *sql.DB // one connection: the only writer in this process
	read  *sql.DB

	closeOnce sync.Once
	closeErr  error
}

var _ receipt.Store = (*DB)(nil)

// Open opens the database file at path, creating it and bringing its schema
// up to date when needed.
func Open(path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, errs.New(errs.Invalid, "path: must name a file and hold no '?' or '#'")
	}
	pragmas := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout("+strconv.FormatInt(busyTimeout.Milliseconds(), 10)+")")
		q.Add("_pragma", "foreign_keys(1)")
		for _, p := range extra {
			q.Add("_pragma", p)
		}
		return q.Encode()
	}

	write, err := sql.Open("sqlite", path+"?"+pragmas("journal_mode(WAL)", "synchronous(FULL)")+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	db := &DB{write: write}
	if err := db.migrate(context.Background()); err != nil {
		write.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}

	// query_only guards against a write slipping onto a reader, which
	// would bypass the single writer that keeps chains linear.
	read, err := sql.Open("sqlite", path+"?"+pragmas("query_only(1)"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.read = read
	return db, nil
}

// migrate applies, in one transaction, the embedded migrations newer than
// the file's user_version, and records the newest one there.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)

	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	applied := version
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
		if _, err := tx.ExecContext(ctx, string(text)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		applied = n
	}
	if applied == version {
		return nil
	}
	// PRAGMA takes no parameters; applied is a number we parsed ourselves.
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(applied)); err != nil {
		return err
	}
	return tx.Commit()
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

// Close closes both pools; later calls return the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		var rerr error
		if db.read != nil {
			rerr = db.read.Close()
		}
		db.closeErr = errors.Join(db.write.Close(), rerr)
	})
	return db.closeErr
}

const columns = `id, subject, prev_hash, hash, policy_version, surface, issued_at, received_at, body, countersig, key_id`

// Put implements receipt.Store.
func (db *DB) Put(ctx context.Context, r receipt.Record) (receipt.Record, bool, error) {
	r, err := put.Prepare(r, time.Now())
	if err != nil {
		return receipt.Record{}, false, err
	}

	// BEGIN IMMEDIATE (the write pool's _txlock): the write lock is held
	// from the head check to the commit.
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return receipt.Record{}, false, fmt.Errorf("put: begin: %w", err)
	}
	defer tx.Rollback()

	stored, err := scan(tx.QueryRowContext(ctx, `SELECT `+columns+` FROM receipts WHERE id = ?`, r.ID))
	switch {
	case err == nil:
		return stored, false, nil
	case errs.Code(err) != errs.NotFound:
		return receipt.Record{}, false, fmt.Errorf("put: %w", err)
	}

	var head string
	err = tx.QueryRowContext(ctx, `SELECT hash FROM receipts WHERE subject = ? ORDER BY seq DESC LIMIT 1`, r.Subject).Scan(&head)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return receipt.Record{}, false, fmt.Errorf("put: head: %w", err)
	}
	if head != r.PrevHash {
		return receipt.Record{}, false, put.ErrChain()
	}

	_, err = tx.ExecContext(ctx, `INSERT INTO receipts (`+columns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Subject, r.PrevHash, r.Hash, r.PolicyVersion, r.Surface,
		r.IssuedAt.UnixMicro(), r.ReceivedAt.UnixMicro(), r.Body, r.Countersig, r.KeyID)
	if isUnique(err) {
		// Unreachable while this process is the only writer; another
		// process writing the same file without the lock would land here.
		return receipt.Record{}, false, put.ErrChain()
	}
	if err != nil {
		return receipt.Record{}, false, fmt.Errorf("put: insert: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return receipt.Record{}, false, fmt.Errorf("put: commit: %w", err)
	}
	return r, true, nil
}

// Get implements receipt.Store.
func (db *DB) Get(ctx context.Context, id string) (receipt.Record, error) {
	return scan(db.read.QueryRowContext(ctx, `SELECT `+columns+` FROM receipts WHERE id = ?`, id))
}

// Head implements receipt.Store.
func (db *DB) Head(ctx context.Context, subject string) (receipt.Record, error) {
	return scan(db.read.QueryRowContext(ctx,
		`SELECT `+columns+` FROM receipts WHERE subject = ? ORDER BY seq DESC LIMIT 1`, subject))
}

// Subject implements receipt.Store.
func (db *DB) Subject(ctx context.Context, subject string) ([]receipt.Record, error) {
	var all []receipt.Record
	err := db.each(ctx, func(r receipt.Record) error {
		all = append(all, r)
		return nil
	}, `SELECT `+columns+` FROM receipts WHERE subject = ? ORDER BY seq`, subject)
	return all, err
}

// Export implements receipt.Store. Rows are read one at a time, so an
// export of any size holds one record in memory.
func (db *DB) Export(ctx context.Context, fn func(receipt.Record) error) error {
	return db.each(ctx, fn, `SELECT `+columns+` FROM receipts ORDER BY seq`)
}

func (db *DB) each(ctx context.Context, fn func(receipt.Record) error, query string, args ...any) error {
	rows, err := db.read.QueryContext(ctx, query, args...)
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

type scanner interface{ Scan(dest ...any) error }

// scan reads one record; a missing row is errs.NotFound.
func scan(row scanner) (receipt.Record, error) {
	var r receipt.Record
	var issued, received int64
	err := row.Scan(&r.ID, &r.Subject, &r.PrevHash, &r.Hash, &r.PolicyVersion, &r.Surface,
		&issued, &received, &r.Body, &r.Countersig, &r.KeyID)
	if errors.Is(err, sql.ErrNoRows) {
		return receipt.Record{}, errs.New(errs.NotFound, "receipt: no such receipt")
	}
	if err != nil {
		return receipt.Record{}, err
	}
	r.IssuedAt = time.UnixMicro(issued).UTC()
	r.ReceivedAt = time.UnixMicro(received).UTC()
	if r.Body == nil {
		r.Body = []byte{}
	}
	return r, nil
}

func isUnique(err error) bool {
	var e *sqlite3.Error
	return errors.As(err, &e) && (e.Code() == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY)
}
