package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/batch"
	"github.com/kaiconn/consent/store/internal/body"
	"github.com/kaiconn/consent/store/internal/put"
)

// DB is a receipt.Store backed by a PostgreSQL database.
type DB struct {
	pool      *pgxpool.Pool
	writer    *batch.Writer[*wtx]
	closeOnce sync.Once
	now       put.Clock // nil: the system's
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
	db.writer = batch.New[*wtx](txs{pool}, batch.DefaultMax, batch.DefaultLinger)
	return db, nil
}

// Close stops the writer after its batch in progress and closes the pool;
// it is safe to call more than once.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		db.writer.Close()
		db.pool.Close()
	})
	return nil
}

// columns are a record's columns in the order scan reads them.
const columns = `id, subject, prev_hash, hash, policy_version, surface, issued_at, received_at, body, countersig, key_id,
	schema_version, language, decision, device_key, states, shown_at, reask, body_codec`

// Put implements receipt.Store.
func (db *DB) Put(ctx context.Context, r receipt.Record, opt receipt.PutOptions) (receipt.Record, bool, error) {
	r, err := put.Prepare(r, db.now.Now())
	if err != nil {
		return receipt.Record{}, false, err
	}
	// Encoded by the caller's goroutine, not the writer's: the writer is
	// the one part of the store that does not scale with the cores.
	packed, codec := body.Pack(r.Body)
	states := put.EncodeStates(r.States)
	var shown *time.Time
	if !r.ShownAt.IsZero() {
		shown = &r.ShownAt
	}

	var stored receipt.Record
	var created bool
	job := func(ctx context.Context, tx *wtx) error {
		stored, created = receipt.Record{}, false
		// One statement, one snapshot: a concurrent retry of this very
		// receipt either committed before it (found by id) or did not
		// (and then cannot have moved the head either).
		var exists bool
		var f put.Facts
		err := tx.queryRow(ctx, func(row pgx.Row) error {
			return row.Scan(&exists, &f.Head, &f.HeadVersion, &f.KeySubject)
		}, `SELECT
				EXISTS (SELECT 1 FROM receipts WHERE id = $1),
				coalesce(head.hash, ''), coalesce(head.policy_version, ''),
				coalesce((SELECT subject FROM subject_keys WHERE thumbprint = $3 AND $3 <> ''), '')
			FROM (SELECT 1) AS one LEFT JOIN (SELECT hash, policy_version FROM receipts
				WHERE subject = $2 ORDER BY seq DESC LIMIT 1) AS head ON true`,
			r.ID, r.Subject, r.DeviceKey)
		if err != nil {
			return fmt.Errorf("postgres: put: %w", err)
		}
		if exists {
			err = tx.queryRow(ctx, func(row pgx.Row) (err error) {
				stored, err = scan(row)
				return err
			}, `SELECT `+readColumns+` FROM receipts WHERE id = $1`, r.ID)
			if err != nil {
				return fmt.Errorf("postgres: put: %w", err)
			}
			return nil
		}
		enroll, err := put.Check(&r, opt, f)
		if err != nil {
			return err
		}
		// A writer of another instance that read the same head or key and
		// committed first makes an insert fail on a constraint; Put then
		// checks again.
		tx.queue(`INSERT INTO receipts (`+columns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16::text::jsonb, $17, $18, $19)`,
			r.ID, r.Subject, r.PrevHash, r.Hash, r.PolicyVersion, r.Surface,
			r.IssuedAt, r.ReceivedAt, packed, r.Countersig, r.KeyID,
			r.Schema, r.Language, r.Decision, r.DeviceKey, states, shown, r.Reask, codec)
		tx.counts.Add(r)
		if enroll {
			tx.queue(`INSERT INTO subject_keys (thumbprint, subject, enrolled_at, enrolled_by) VALUES ($1, $2, $3, $4)`,
				r.DeviceKey, r.Subject, r.ReceivedAt, r.ID)
		}
		stored, created = r, true
		return nil
	}
	err = db.writer.Do(ctx, job)
	if isUnique(err) {
		// Another instance won a race; what it committed decides: the
		// same id answers as a retry, anything else is refused as usual.
		err = db.writer.Do(ctx, job)
		if isUnique(err) {
			err = put.ErrChain()
		}
	}
	if isEnded(err) {
		// The subject's chain ended (retention.go).
		err = receipt.ErrEnded()
	}
	if err != nil {
		return receipt.Record{}, false, err
	}
	return stored, created, nil
}

// Enroll implements receipt.Store.
func (db *DB) Enroll(ctx context.Context, subject, thumbprint, by string) error {
	if err := put.CheckEnrollArgs(subject, thumbprint, by); err != nil {
		return err
	}
	job := func(ctx context.Context, tx *wtx) error {
		var has bool
		var keySubject string
		err := tx.queryRow(ctx, func(row pgx.Row) error { return row.Scan(&has, &keySubject) }, `SELECT
				EXISTS (SELECT 1 FROM receipts WHERE subject = $1),
				coalesce((SELECT subject FROM subject_keys WHERE thumbprint = $2), '')`,
			subject, thumbprint)
		if err != nil {
			return fmt.Errorf("postgres: enroll: %w", err)
		}
		write, err := put.CheckEnroll(subject, has, keySubject)
		if err != nil || !write {
			return err
		}
		tx.queue(`INSERT INTO subject_keys (thumbprint, subject, enrolled_at, enrolled_by) VALUES ($1, $2, $3, $4)`,
			thumbprint, subject, put.Time(db.now.Now()), by)
		return nil
	}
	err := db.writer.Do(ctx, job)
	if isUnique(err) {
		// Another instance enrolled the key meanwhile: for this subject
		// (nothing to do) or another (refused).
		err = db.writer.Do(ctx, job)
	}
	return err
}

// UseNonce implements receipt.Store.
func (db *DB) UseNonce(ctx context.Context, nonce string, expires time.Time) error {
	if err := put.CheckNonce(nonce, expires, db.now.Now()); err != nil {
		return err
	}
	err := db.writer.Do(ctx, func(ctx context.Context, tx *wtx) error {
		var used bool
		err := tx.queryRow(ctx, func(row pgx.Row) error { return row.Scan(&used) },
			`SELECT EXISTS (SELECT 1 FROM nonces WHERE nonce = $1)`, nonce)
		if err != nil {
			return fmt.Errorf("postgres: nonce: %w", err)
		}
		now := db.now.Now()
		if used || !expires.After(now) {
			return put.ErrNonce()
		}
		// Forget the nonces that can no longer be presented: the index on
		// expires_at makes this cheap when there are none.
		tx.queue(`DELETE FROM nonces WHERE expires_at <= $1`, now)
		tx.queue(`INSERT INTO nonces (nonce, expires_at) VALUES ($1, $2)`, nonce, put.Time(expires))
		return nil
	})
	if isUnique(err) {
		// Another instance used it meanwhile.
		return put.ErrNonce()
	}
	return err
}

// tipColumns are columns with an empty body and countersignature, for scan.
const tipColumns = `id, subject, prev_hash, hash, policy_version, surface, issued_at, received_at, ''::bytea, ''::text, key_id,
	schema_version, language, decision, device_key, states, shown_at, reask, 0, ended, purged_at`

// Tip implements receipt.Store.
func (db *DB) Tip(ctx context.Context, subject string) (receipt.Record, error) {
	return scan(db.pool.QueryRow(ctx, `SELECT `+tipColumns+` FROM receipts WHERE subject = $1 ORDER BY seq DESC LIMIT 1`, subject))
}

// Ping implements receipt.Store: one read of the receipts table.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	return db.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM receipts LIMIT 1) AS one`).Scan(&n)
}

// Get implements receipt.Store.
func (db *DB) Get(ctx context.Context, id string) (receipt.Record, error) {
	return scan(db.pool.QueryRow(ctx, `SELECT `+readColumns+` FROM receipts WHERE id = $1`, id))
}

// Head implements receipt.Store.
func (db *DB) Head(ctx context.Context, subject string) (receipt.Record, error) {
	return scan(db.pool.QueryRow(ctx,
		`SELECT `+readColumns+` FROM receipts WHERE subject = $1 ORDER BY seq DESC LIMIT 1`, subject))
}

// Subject implements receipt.Store.
func (db *DB) Subject(ctx context.Context, subject string) ([]receipt.Record, error) {
	var all []receipt.Record
	err := db.each(ctx, func(r receipt.Record) error {
		all = append(all, r)
		return nil
	}, `SELECT `+readColumns+` FROM receipts WHERE subject = $1 ORDER BY seq`, subject)
	return all, err
}

// Export implements receipt.Store. pgx reads rows off the connection as
// they are scanned, so an export of any size holds one record in memory.
func (db *DB) Export(ctx context.Context, fn func(receipt.Record) error) error {
	return db.each(ctx, fn, `SELECT `+readColumns+` FROM receipts ORDER BY seq`)
}

// KeySubject implements receipt.Store.
func (db *DB) KeySubject(ctx context.Context, thumbprint string) (string, error) {
	var subject string
	err := db.pool.QueryRow(ctx, `SELECT subject FROM subject_keys WHERE thumbprint = $1`, thumbprint).Scan(&subject)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", put.KeyNotFound()
	}
	return subject, err
}

// ChainFacts implements receipt.ChainFactsReader: Tip and KeySubject in
// one round trip.
func (db *DB) ChainFacts(ctx context.Context, subject, thumbprint string) (receipt.ChainFacts, error) {
	var (
		f             receipt.ChainFacts
		hash, surface *string
		states        []byte
		keySubject    *string
	)
	err := db.pool.QueryRow(ctx, `SELECT head.hash, head.surface, head.states,
			(SELECT subject FROM subject_keys WHERE thumbprint = $2)
		FROM (SELECT 1) AS one LEFT JOIN (SELECT hash, surface, states FROM receipts
			WHERE subject = $1 ORDER BY seq DESC LIMIT 1) AS head ON true`, subject, thumbprint).
		Scan(&hash, &surface, &states, &keySubject)
	if err != nil {
		return receipt.ChainFacts{}, err
	}
	if keySubject != nil {
		f.KeySubject = *keySubject
	}
	if hash == nil {
		return f, nil
	}
	f.Exists, f.Hash = true, *hash
	if surface != nil {
		f.Surface = *surface
	}
	if f.States, err = put.DecodeStates(states); err != nil {
		return receipt.ChainFacts{}, fmt.Errorf("subject's head: states: %w", err)
	}
	return f, nil
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
	var (
		r              receipt.Record
		shown, purged  *time.Time
		states, stored []byte
		codec          int
	)
	err := row.Scan(&r.ID, &r.Subject, &r.PrevHash, &r.Hash, &r.PolicyVersion, &r.Surface,
		&r.IssuedAt, &r.ReceivedAt, &stored, &r.Countersig, &r.KeyID,
		&r.Schema, &r.Language, &r.Decision, &r.DeviceKey, &states, &shown, &r.Reask, &codec, &r.Ended, &purged)
	if errors.Is(err, pgx.ErrNoRows) {
		return receipt.Record{}, errs.New(errs.NotFound, "receipt: no such receipt")
	}
	if err != nil {
		return receipt.Record{}, err
	}
	r.IssuedAt = r.IssuedAt.UTC()
	r.ReceivedAt = r.ReceivedAt.UTC()
	if shown != nil {
		r.ShownAt = shown.UTC()
	}
	if purged != nil {
		r.PurgedAt = purged.UTC()
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
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" // unique_violation
}
