package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/put"
)

// readColumns are columns and what a tombstone adds, in the order scan
// reads them.
const readColumns = columns + `, ended, purged_at`

var _ receipt.Retention = (*DB)(nil)

// isEnded tells whether err is the trigger receipts_ended's refusal of a
// receipt for a subject whose chain ended (migration 4).
func isEnded(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "KC001"
}

// isDeadlock tells whether PostgreSQL broke a deadlock by failing this
// transaction: a purge batch, which locks its subjects in order, and a
// batch of appends, which lock theirs as they come, can meet in one.
func isDeadlock(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "40P01"
}

// lockSubject takes the subject's advisory lock for the transaction, in
// exclusive mode: every append to the subject (trigger receipts_ended)
// waits for it, and it waits for the appends in flight.
const lockSubject = `SELECT count(*) FROM (SELECT pg_advisory_xact_lock(kaiconn_subject_lock($1))) AS l`

// tryLockPurge takes the database's purge lock for the transaction, if
// no other node holds it. The key includes the schema, so that schemas
// sharing a server (the tests) purge independently.
const tryLockPurge = `SELECT pg_try_advisory_xact_lock(hashtextextended('kaiconn-purge:' || current_schema(), 0))`

const endingColumns = `subject, kind, ended_at, head_hash, record, countersig, key_id, purged_at`

func scanEnding(row pgx.Row) (receipt.Ending, error) {
	var e receipt.Ending
	var purged *time.Time
	if err := row.Scan(&e.Subject, &e.Kind, &e.EndedAt, &e.HeadHash, &e.Record, &e.Countersig, &e.KeyID, &purged); err != nil {
		return receipt.Ending{}, err
	}
	e.EndedAt = e.EndedAt.UTC()
	if purged != nil {
		e.PurgedAt = purged.UTC()
	}
	if e.Record == nil {
		e.Record = []byte{}
	}
	return e, nil
}

// Erase implements receipt.Retention, in a transaction of its own that
// holds the subject's lock: an append in flight commits before it looks at
// the head, and every append after it finds the ending.
func (db *DB) Erase(ctx context.Context, subject string, seal func(receipt.Record, int) (receipt.Ending, error)) (receipt.Ending, bool, error) {
	if subject == "" {
		return receipt.Ending{}, false, errs.New(errs.Invalid, "subject: must not be empty")
	}
	var out receipt.Ending
	var created bool
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		out, created = receipt.Ending{}, false
		var one int
		if err := tx.QueryRow(ctx, lockSubject, subject).Scan(&one); err != nil {
			return fmt.Errorf("postgres: erase: %w", err)
		}
		e, err := scanEnding(tx.QueryRow(ctx, `SELECT `+endingColumns+` FROM subject_endings WHERE subject = $1`, subject))
		if err == nil {
			out = e
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("postgres: erase: %w", err)
		}
		tip, err := scan(tx.QueryRow(ctx, `SELECT `+tipColumns+` FROM receipts WHERE subject = $1 ORDER BY seq DESC LIMIT 1`, subject))
		if err != nil {
			if errs.Code(err) == errs.NotFound {
				return errs.New(errs.NotFound, "subject: has no receipt")
			}
			return fmt.Errorf("postgres: erase: %w", err)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM receipts WHERE subject = $1`, subject).Scan(&n); err != nil {
			return fmt.Errorf("postgres: erase: %w", err)
		}
		if e, err = seal(tip, n); err != nil {
			return err
		}
		e.Subject, e.Kind, e.EndedAt, e.PurgedAt = subject, receipt.EndErased, put.Time(e.EndedAt), time.Time{}
		if e.Record == nil {
			e.Record = []byte{}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO subject_endings (`+endingColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`,
			e.Subject, e.Kind, e.EndedAt, e.HeadHash, e.Record, e.Countersig, e.KeyID); err != nil {
			return fmt.Errorf("postgres: erase: %w", err)
		}
		out, created = e, true
		return nil
	})
	if err != nil {
		return receipt.Ending{}, false, err
	}
	return out, created, nil
}

// State implements receipt.Retention.
func (db *DB) State(ctx context.Context, subject string) (receipt.SubjectState, error) {
	var st receipt.SubjectState
	e, err := scanEnding(db.pool.QueryRow(ctx, `SELECT `+endingColumns+` FROM subject_endings WHERE subject = $1`, subject))
	switch {
	case err == nil:
		st.Ending = &e
	case !errors.Is(err, pgx.ErrNoRows):
		return st, err
	}
	var h receipt.Hold
	err = db.pool.QueryRow(ctx, `SELECT subject, reason, held_by, held_at FROM legal_holds WHERE subject = $1`, subject).
		Scan(&h.Subject, &h.Reason, &h.By, &h.At)
	switch {
	case err == nil:
		h.At = h.At.UTC()
		st.Hold = &h
	case !errors.Is(err, pgx.ErrNoRows):
		return st, err
	}
	return st, nil
}

// Hold implements receipt.Retention. It holds the subject's lock, which
// the purge takes before it checks for a hold, so that no purge can delete
// a chain on a hold it did not see.
func (db *DB) Hold(ctx context.Context, h receipt.Hold) error {
	if err := receipt.CheckHold(h); err != nil {
		return err
	}
	if h.At.IsZero() {
		h.At = db.now.Now()
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, lockSubject, h.Subject).Scan(&one); err != nil {
			return fmt.Errorf("postgres: hold: %w", err)
		}
		var has bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM receipts WHERE subject = $1)`, h.Subject).Scan(&has); err != nil {
			return fmt.Errorf("postgres: hold: %w", err)
		}
		if !has {
			return errs.New(errs.NotFound, "subject: has no receipt")
		}
		_, err := tx.Exec(ctx, `INSERT INTO legal_holds (subject, reason, held_by, held_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (subject) DO UPDATE SET reason = excluded.reason, held_by = excluded.held_by, held_at = excluded.held_at`,
			h.Subject, h.Reason, h.By, put.Time(h.At))
		if err != nil {
			return fmt.Errorf("postgres: hold: %w", err)
		}
		return nil
	})
}

// Release implements receipt.Retention.
func (db *DB) Release(ctx context.Context, subject string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM legal_holds WHERE subject = $1`, subject)
	if err != nil {
		return fmt.Errorf("postgres: release: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return errs.New(errs.NotFound, "subject: is not held")
	}
	return nil
}

const tombstone = `UPDATE receipts SET body = ''::bytea, body_codec = 0, countersig = '', states = '{}'::jsonb, decision = '',
	language = '', device_key = '', shown_at = NULL, ended = $1, purged_at = $2 WHERE subject = ANY($3) AND ended = ''`

const (
	dueErased = `SELECT subject, head_hash, ended_at, subject FROM subject_endings
		WHERE purged_at IS NULL AND ended_at <= $1 AND subject > $2 ORDER BY subject LIMIT $3`
	dueWithdrawn = `SELECT r.subject, r.hash, r.received_at, r.seq FROM receipts r
		WHERE r.seq > $2 AND r.ended = '' AND r.received_at <= $1
		AND NOT EXISTS (SELECT 1 FROM receipts s WHERE s.subject = r.subject AND s.seq > r.seq)
		AND NOT EXISTS (SELECT 1 FROM jsonb_each_text(r.states) AS st WHERE st.value = 'given')
		AND NOT EXISTS (SELECT 1 FROM subject_endings e WHERE e.subject = r.subject)
		ORDER BY r.seq LIMIT $3`
)

// Purge implements receipt.Retention. Each batch is a transaction that
// first takes the database's purge lock without waiting: a node that does
// not get it reports Busy and stops, so two nodes never purge at once.
// Inside, each subject's lock is taken before its hold and head are looked
// at again, so a hold placed or a receipt appended meanwhile is seen.
func (db *DB) Purge(ctx context.Context, opt receipt.PurgeOptions) (receipt.PurgeResult, error) {
	if opt.Batch <= 0 {
		opt.Batch = receipt.DefaultPurgeBatch
	}
	if opt.Now.IsZero() {
		opt.Now = db.now.Now()
	}
	var res receipt.PurgeResult
	for _, kind := range []string{receipt.EndErased, receipt.EndWithdrawn} {
		cursor := any("")
		if kind == receipt.EndWithdrawn {
			cursor = int64(0)
		}
		for {
			var b purgeBatch
			var err error
			for range 3 {
				b = purgeBatch{}
				err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return b.run(ctx, tx, kind, cursor, opt) })
				if !isDeadlock(err) {
					break
				}
			}
			if err != nil {
				return res, err
			}
			if b.busy {
				res.Busy = true
				return res, nil
			}
			res.Subjects += b.purged
			res.Receipts += b.receipts
			res.Held += b.held
			if b.found < opt.Batch {
				break
			}
			cursor = b.cursor
		}
	}
	return res, nil
}

type purgeBatch struct {
	found, purged, receipts, held int
	busy                          bool
	cursor                        any
}

func (b *purgeBatch) run(ctx context.Context, tx pgx.Tx, kind string, cursor any, opt receipt.PurgeOptions) error {
	if !opt.DryRun {
		var got bool
		if err := tx.QueryRow(ctx, tryLockPurge).Scan(&got); err != nil {
			return fmt.Errorf("postgres: purge: %w", err)
		}
		if !got {
			b.busy = true
			return nil
		}
	}
	query := dueErased
	if kind == receipt.EndWithdrawn {
		query = dueWithdrawn
	}
	type due struct {
		subject, head string
		ended         time.Time
	}
	var batch []due
	rows, err := tx.Query(ctx, query, opt.Cutoff, cursor, opt.Batch)
	if err != nil {
		return fmt.Errorf("postgres: purge: %w", err)
	}
	for rows.Next() {
		var d due
		if kind == receipt.EndWithdrawn {
			var seq int64
			err = rows.Scan(&d.subject, &d.head, &d.ended, &seq)
			b.cursor = seq
		} else {
			var subject string
			err = rows.Scan(&d.subject, &d.head, &d.ended, &subject)
			b.cursor = subject
		}
		if err != nil {
			rows.Close()
			return fmt.Errorf("postgres: purge: %w", err)
		}
		batch = append(batch, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: purge: %w", err)
	}
	b.found = len(batch)
	if len(batch) == 0 {
		return nil
	}
	// Subjects are locked in one order, so that two transactions that
	// lock several never wait for each other in a circle. The batch is
	// handled set by set, a few round trips whatever its size.
	slices.SortFunc(batch, func(x, y due) int {
		switch {
		case x.subject < y.subject:
			return -1
		case x.subject > y.subject:
			return 1
		}
		return 0
	})
	subjects, heads, ends := make([]string, len(batch)), make([]string, len(batch)), make([]time.Time, len(batch))
	for i, d := range batch {
		subjects[i], heads[i], ends[i] = d.subject, d.head, d.ended
	}
	if !opt.DryRun {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_advisory_xact_lock(kaiconn_subject_lock(o.s))
				FROM (SELECT s FROM unnest($1::text[]) AS s ORDER BY s) AS o) AS l`, subjects).Scan(&n); err != nil {
			return fmt.Errorf("postgres: purge: %w", err)
		}
	}
	// Looked at again under the locks: a hold, an append or another
	// purge committed since the selection counts.
	rows, err = tx.Query(ctx, `SELECT d.subject, d.head, d.ended, EXISTS (SELECT 1 FROM legal_holds h WHERE h.subject = d.subject)
		FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS d(subject, head, ended)
		WHERE CASE WHEN $4 = 'erased'
			THEN EXISTS (SELECT 1 FROM subject_endings e WHERE e.subject = d.subject AND e.purged_at IS NULL)
			ELSE NOT EXISTS (SELECT 1 FROM subject_endings e WHERE e.subject = d.subject)
				AND d.head = (SELECT hash FROM receipts r WHERE r.subject = d.subject ORDER BY seq DESC LIMIT 1)
		END`, subjects, heads, ends, kind)
	if err != nil {
		return fmt.Errorf("postgres: purge: %w", err)
	}
	var ready []due
	for rows.Next() {
		var d due
		var held bool
		if err := rows.Scan(&d.subject, &d.head, &d.ended, &held); err != nil {
			rows.Close()
			return fmt.Errorf("postgres: purge: %w", err)
		}
		if held {
			b.held++
			continue
		}
		ready = append(ready, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: purge: %w", err)
	}
	if len(ready) == 0 {
		return nil
	}
	subjects, heads, ends = subjects[:0], heads[:0], ends[:0]
	for _, d := range ready {
		subjects, heads, ends = append(subjects, d.subject), append(heads, d.head), append(ends, d.ended)
	}
	b.purged = len(ready)
	if opt.DryRun {
		return tx.QueryRow(ctx, `SELECT count(*) FROM receipts WHERE subject = ANY($1) AND ended = ''`, subjects).Scan(&b.receipts)
	}
	at := put.Time(opt.Now)
	if kind == receipt.EndWithdrawn {
		_, err = tx.Exec(ctx, `INSERT INTO subject_endings (`+endingColumns+`)
			SELECT d.subject, 'withdrawn', d.ended, d.head, ''::bytea, '', '', $4
			FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS d(subject, head, ended)`, subjects, heads, ends, at)
	} else {
		_, err = tx.Exec(ctx, `UPDATE subject_endings SET purged_at = $1 WHERE subject = ANY($2)`, at, subjects)
	}
	if err != nil {
		return fmt.Errorf("postgres: purge: %w", err)
	}
	tag, err := tx.Exec(ctx, tombstone, kind, at, subjects)
	if err != nil {
		return fmt.Errorf("postgres: purge: %w", err)
	}
	b.receipts = int(tag.RowsAffected())
	if _, err := tx.Exec(ctx, `DELETE FROM subject_keys WHERE subject = ANY($1)`, subjects); err != nil {
		return fmt.Errorf("postgres: purge: %w", err)
	}
	return nil
}

// RecordPurge implements receipt.Retention.
func (db *DB) RecordPurge(ctx context.Context, run receipt.PurgeRun) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO purge_runs (node, started_at, finished_at, cutoff, subjects, receipts, held, busy, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, run.Node, run.StartedAt, run.FinishedAt, run.Cutoff,
		run.Result.Subjects, run.Result.Receipts, run.Result.Held, run.Result.Busy, run.Err)
	if err != nil {
		return fmt.Errorf("postgres: purge runs: %w", err)
	}
	return nil
}

// PurgeRuns implements receipt.Retention.
func (db *DB) PurgeRuns(ctx context.Context, n int) ([]receipt.PurgeRun, error) {
	rows, err := db.pool.Query(ctx, `SELECT node, started_at, finished_at, cutoff, subjects, receipts, held, busy, error
		FROM purge_runs ORDER BY seq DESC LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []receipt.PurgeRun
	for rows.Next() {
		var r receipt.PurgeRun
		if err := rows.Scan(&r.Node, &r.StartedAt, &r.FinishedAt, &r.Cutoff, &r.Result.Subjects, &r.Result.Receipts, &r.Result.Held, &r.Result.Busy, &r.Err); err != nil {
			return nil, err
		}
		r.StartedAt, r.FinishedAt, r.Cutoff = r.StartedAt.UTC(), r.FinishedAt.UTC(), r.Cutoff.UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
