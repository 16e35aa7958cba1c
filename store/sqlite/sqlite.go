package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/batch"
	"github.com/kaiconn/consent/store/internal/body"
	"github.com/kaiconn/consent/store/internal/put"
)

// busyTimeout bounds how long a connection waits for another process
// holding the lock (a backup, an operator's sqlite3 shell) before failing.
const busyTimeout = 10 * time.Second

// checkpointEvery is how often the checkpointer copies what the WAL
// gained into the database file. The writer leaves checkpoints to it
// (wal_autocheckpoint 0), so that no Put ever waits for one: at 5,000
// receipts a second a checkpoint copies about 4 MB, SQLite's own default.
const checkpointEvery = 200 * time.Millisecond

// writerCache is the writer's page cache, in KiB: the index pages a batch
// touches stay in memory instead of being read back from the WAL.
const writerCache = 32 << 10

// readersIdle is how many reading connections stay open between reads.
const readersIdle = 32

// FileMode is the mode Open creates the database file with: receipts are
// personal data, for the server's user alone.
const FileMode fs.FileMode = 0o600

// DB is a receipt.Store backed by one SQLite file.
type DB struct {
	write  *sql.DB // one connection: the only writer in this process
	read   *sql.DB
	ckpt   *sql.DB // one connection, for the checkpointer
	writer *batch.Writer[*sql.Tx]
	stmt   statements
	// Reads prepared once: preparing a statement costs modernc's SQLite as
	// much as running it, and Get, Head and KeySubject run for every
	// receipt the API takes in.
	get, head, tip, keySubject, chainFacts *sql.Stmt

	commits     atomic.Uint64 // transactions the writer committed
	tips        *tips         // the newest receipts written (tips.go)
	stopCkpt    chan struct{}
	ckptStopped chan struct{}
	folder      folder    // counts the insights (fold.go)
	now         put.Clock // nil: the system's
	health      integrity // the last integrity check (health.go)

	closeOnce sync.Once
	closeErr  error
}

var (
	_ receipt.Store            = (*DB)(nil)
	_ receipt.ChainFactsReader = (*DB)(nil)
)

// Open opens the database file at path, creating it (mode FileMode) and
// bringing its schema up to date when needed. The directory must exist.
func Open(path string) (*DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, errs.New(errs.Invalid, "path: must name a file and hold no '?' or '#'")
	}
	// Created here rather than by SQLite, which would use 0644 less the
	// umask; O_EXCL leaves an existing file and its mode alone.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, FileMode)
	switch {
	case err == nil:
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("create %s: %w", path, err)
		}
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("create %s: %w", path, err)
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

	write, err := sql.Open("sqlite", path+"?"+pragmas("journal_mode(WAL)", "synchronous(FULL)",
		"wal_autocheckpoint(0)", "cache_size(-"+strconv.Itoa(writerCache)+")")+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	db := &DB{write: write, tips: newTips()}
	if err := db.migrate(context.Background()); err != nil {
		write.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := db.stmt.prepare(context.Background(), write); err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}

	// query_only guards against a write slipping onto a reader, which
	// would bypass the single writer that keeps chains linear.
	// Readers do not map the file (mmap_size stays 0): a read transaction
	// that begins after a commit, as nearly every chain-head look-up does
	// under load, makes SQLite unmap the whole mapping and map it again,
	// and munmap, the page faults after it and the TLB shootdowns cost
	// several times the few preads of the pages the look-up reads.
	read, err := sql.Open("sqlite", path+"?"+pragmas("query_only(1)"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.read = read
	// Keep the readers open: database/sql keeps 2 idle connections by
	// default, so under load each read would open a connection (and
	// prepare its statements) anew.
	read.SetMaxIdleConns(readersIdle)
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&db.get, `SELECT ` + readColumns + ` FROM receipts WHERE id = ?`},
		{&db.head, `SELECT ` + readColumns + ` FROM receipts WHERE subject = ? ORDER BY n DESC LIMIT 1`},
		{&db.tip, `SELECT ` + tipColumns + ` FROM receipts WHERE subject = ? ORDER BY n DESC LIMIT 1`},
		{&db.keySubject, `SELECT subject FROM subject_keys WHERE thumbprint = ?`},
		// Tip and KeySubject in one read transaction: each transaction
		// that begins after a commit resets the reader's page cache and
		// mapping, which costs more than the look-ups themselves.
		{&db.chainFacts, `SELECT head.hash, head.surface, head.states,
			(SELECT subject FROM subject_keys WHERE thumbprint = ?2)
			FROM (SELECT 1) LEFT JOIN (SELECT hash, surface, states FROM receipts
				WHERE subject = ?1 ORDER BY n DESC LIMIT 1) AS head`},
	} {
		if *p.stmt, err = read.PrepareContext(context.Background(), p.query); err != nil {
			write.Close()
			read.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	ckpt, err := sql.Open("sqlite", path+"?"+pragmas())
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	db.ckpt = ckpt
	db.writer = batch.New[*sql.Tx](txs{write, &db.commits}, batch.DefaultMax, batch.DefaultLinger)
	db.stopCkpt, db.ckptStopped = make(chan struct{}), make(chan struct{})
	go db.checkpoints()
	db.folder.start(db)
	return db, nil
}

// checkpoints copies committed WAL frames into the database file, in
// PASSIVE mode (it never blocks the writer or the readers), whenever the
// writer committed since it last looked. A failed checkpoint is only
// retried: the WAL keeps every commit durable meanwhile.
func (db *DB) checkpoints() {
	defer close(db.ckptStopped)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	var seen uint64
	for {
		select {
		case <-db.stopCkpt:
			return
		case <-tick.C:
		}
		if n := db.commits.Load(); n != seen {
			seen = n
			_, _ = db.ckpt.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// Close stops the writer after its batch in progress and closes both
// pools; later calls return the first result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.folder.stop()
		db.writer.Close()
		close(db.stopCkpt)
		<-db.ckptStopped
		db.closeErr = errors.Join(db.stmt.close(), db.get.Close(), db.head.Close(), db.tip.Close(), db.keySubject.Close(), db.chainFacts.Close(),
			db.write.Close(), db.read.Close(), db.ckpt.Close())
	})
	return db.closeErr
}

// columns are a record's columns in the order scan reads them.
const columns = `id, subject, prev_hash, hash, policy_version, surface, issued_at, received_at, body, countersig, key_id,
	schema_version, language, decision, device_key, states, shown_at, reask, body_codec`

// tipColumns are columns with an empty body and countersignature, for scan.
const tipColumns = `id, subject, prev_hash, hash, policy_version, surface, issued_at, received_at, X'', '', key_id,
	schema_version, language, decision, device_key, states, shown_at, reask, 0, ended, purged_at`

// Tip implements receipt.Store.
func (db *DB) Tip(ctx context.Context, subject string) (receipt.Record, error) {
	if r, ok := db.tips.head(subject); ok {
		return r, nil
	}
	return scan(db.tip.QueryRowContext(ctx, subject))
}

// Ping implements receipt.Store: one read of the receipts table, through
// the readers' pool.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	return db.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM receipts LIMIT 1)`).Scan(&n)
}

// Get implements receipt.Store.
func (db *DB) Get(ctx context.Context, id string) (receipt.Record, error) {
	return scan(db.get.QueryRowContext(ctx, id))
}

// Head implements receipt.Store.
func (db *DB) Head(ctx context.Context, subject string) (receipt.Record, error) {
	return scan(db.head.QueryRowContext(ctx, subject))
}

// Subject implements receipt.Store.
func (db *DB) Subject(ctx context.Context, subject string) ([]receipt.Record, error) {
	var all []receipt.Record
	err := db.each(ctx, func(r receipt.Record) error {
		all = append(all, r)
		return nil
	}, `SELECT `+readColumns+` FROM receipts WHERE subject = ? ORDER BY n`, subject)
	return all, err
}

// Export implements receipt.Store. Rows are read one at a time, so an
// export of any size holds one record in memory.
func (db *DB) Export(ctx context.Context, fn func(receipt.Record) error) error {
	return db.each(ctx, fn, `SELECT `+readColumns+` FROM receipts ORDER BY seq`)
}

// KeySubject implements receipt.Store.
func (db *DB) KeySubject(ctx context.Context, thumbprint string) (string, error) {
	var subject string
	err := db.keySubject.QueryRowContext(ctx, thumbprint).Scan(&subject)
	if errors.Is(err, sql.ErrNoRows) {
		return "", put.KeyNotFound()
	}
	return subject, err
}

// ChainFacts implements receipt.ChainFactsReader.
func (db *DB) ChainFacts(ctx context.Context, subject, thumbprint string) (receipt.ChainFacts, error) {
	if f, ok := db.tips.facts(subject, thumbprint); ok {
		return f, nil
	}
	var (
		f          receipt.ChainFacts
		surface    sql.NullString
		states     []byte
		keySubject sql.NullString
	)
	err := db.chainFacts.QueryRowContext(ctx, subject, thumbprint).Scan(hashColumn{&f.Hash}, &surface, &states, &keySubject)
	if err != nil {
		return receipt.ChainFacts{}, err
	}
	f.Exists, f.Surface, f.KeySubject = surface.Valid, surface.String, keySubject.String
	if f.Exists {
		if f.States, err = put.DecodeStates(states); err != nil {
			return receipt.ChainFacts{}, fmt.Errorf("subject's head: states: %w", err)
		}
	}
	return f, nil
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
	var (
		r                receipt.Record
		issued, received int64
		shown, purged    sql.NullInt64
		states, stored   []byte
		codec            int
	)
	err := row.Scan(&r.ID, &r.Subject, hashColumn{&r.PrevHash}, hashColumn{&r.Hash}, &r.PolicyVersion, &r.Surface,
		&issued, &received, &stored, &r.Countersig, &r.KeyID,
		&r.Schema, &r.Language, &r.Decision, &r.DeviceKey, &states, &shown, &r.Reask, &codec, &r.Ended, &purged)
	if errors.Is(err, sql.ErrNoRows) {
		return receipt.Record{}, errs.New(errs.NotFound, "receipt: no such receipt")
	}
	if err != nil {
		return receipt.Record{}, err
	}
	r.IssuedAt = time.UnixMicro(issued).UTC()
	r.ReceivedAt = time.UnixMicro(received).UTC()
	if shown.Valid {
		r.ShownAt = time.UnixMicro(shown.Int64).UTC()
	}
	if purged.Valid {
		r.PurgedAt = time.UnixMicro(purged.Int64).UTC()
	}
	if r.States, err = put.DecodeStates(states); err != nil {
		return receipt.Record{}, fmt.Errorf("receipt %s: states: %w", r.ID, err)
	}
	if r.Body, err = body.Unpack(stored, codec); err != nil {
		return receipt.Record{}, fmt.Errorf("receipt %s: %w", r.ID, err)
	}
	if r.Body == nil {
		r.Body = []byte{}
	}
	return r, nil
}

func isUnique(err error) bool {
	var e *sqlite3.Error
	return errors.As(err, &e) && (e.Code() == sqlite3lib.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY)
}
