package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/put"
)

// readColumns are columns and what a tombstone adds, in the order scan
// reads them.
const readColumns = columns + `, ended, purged_at`

var _ receipt.Retention = (*DB)(nil)

// endedMessage is what the trigger receipts_ended raises (migration 4).
const endedMessage = "kaiconn: subject chain ended"

// isEnded tells whether err is the trigger's refusal of a receipt for a
// subject whose chain ended.
func isEnded(err error) bool { return err != nil && strings.Contains(err.Error(), endedMessage) }

// endingColumns are an ending's columns in the order scanEnding reads them.
const endingColumns = `subject, kind, ended_at, head_hash, record, countersig, key_id, purged_at`

func scanEnding(row scanner) (receipt.Ending, error) {
	var (
		e      receipt.Ending
		ended  int64
		purged sql.NullInt64
	)
	if err := row.Scan(&e.Subject, &e.Kind, &ended, &e.HeadHash, &e.Record, &e.Countersig, &e.KeyID, &purged); err != nil {
		return receipt.Ending{}, err
	}
	e.EndedAt = time.UnixMicro(ended).UTC()
	if purged.Valid {
		e.PurgedAt = time.UnixMicro(purged.Int64).UTC()
	}
	if e.Record == nil {
		e.Record = []byte{}
	}
	return e, nil
}

// Erase implements receipt.Retention. It runs on the writer, as every Put
// does, so that no append can slip between the look-up of the head and the
// ending; the trigger receipts_ended refuses every append after it.
func (db *DB) Erase(ctx context.Context, subject string, seal func(receipt.Record, int) (receipt.Ending, error)) (receipt.Ending, bool, error) {
	if subject == "" {
		return receipt.Ending{}, false, errs.New(errs.Invalid, "subject: must not be empty")
	}
	var out receipt.Ending
	var created bool
	err := db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		out, created = receipt.Ending{}, false
		e, err := scanEnding(tx.QueryRowContext(ctx, `SELECT `+endingColumns+` FROM subject_endings WHERE subject = ?`, subject))
		if err == nil {
			out = e
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("erase: %w", err)
		}
		tip, err := scan(tx.QueryRowContext(ctx, `SELECT `+tipColumns+` FROM receipts WHERE subject = ? ORDER BY n DESC LIMIT 1`, subject))
		if err != nil {
			if errs.Code(err) == errs.NotFound {
				return errs.New(errs.NotFound, "subject: has no receipt")
			}
			return fmt.Errorf("erase: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM receipts WHERE subject = ?`, subject).Scan(&n); err != nil {
			return fmt.Errorf("erase: %w", err)
		}
		e, err = seal(tip, n)
		if err != nil {
			return err
		}
		e.Subject, e.Kind, e.EndedAt, e.PurgedAt = subject, receipt.EndErased, put.Time(e.EndedAt), time.Time{}
		if e.Record == nil {
			e.Record = []byte{}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO subject_endings (`+endingColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
			e.Subject, e.Kind, e.EndedAt.UnixMicro(), e.HeadHash, e.Record, e.Countersig, e.KeyID); err != nil {
			return fmt.Errorf("erase: %w", err)
		}
		out, created = e, true
		return nil
	})
	if err != nil {
		return receipt.Ending{}, false, err
	}
	// What the store remembers of the subject's head is no longer what
	// an append is checked against.
	db.tips.forgetSubject(subject)
	return out, created, nil
}

// State implements receipt.Retention.
func (db *DB) State(ctx context.Context, subject string) (receipt.SubjectState, error) {
	var st receipt.SubjectState
	e, err := scanEnding(db.read.QueryRowContext(ctx, `SELECT `+endingColumns+` FROM subject_endings WHERE subject = ?`, subject))
	switch {
	case err == nil:
		st.Ending = &e
	case !errors.Is(err, sql.ErrNoRows):
		return st, err
	}
	var h receipt.Hold
	var at int64
	err = db.read.QueryRowContext(ctx, `SELECT subject, reason, held_by, held_at FROM legal_holds WHERE subject = ?`, subject).
		Scan(&h.Subject, &h.Reason, &h.By, &at)
	switch {
	case err == nil:
		h.At = time.UnixMicro(at).UTC()
		st.Hold = &h
	case !errors.Is(err, sql.ErrNoRows):
		return st, err
	}
	return st, nil
}

// Hold implements receipt.Retention. It runs on the writer, so a purge
// batch, which runs there too, sees it or ran before it.
func (db *DB) Hold(ctx context.Context, h receipt.Hold) error {
	if err := receipt.CheckHold(h); err != nil {
		return err
	}
	if h.At.IsZero() {
		h.At = db.now.Now()
	}
	return db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var has bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM receipts WHERE subject = ?)`, h.Subject).Scan(&has); err != nil {
			return fmt.Errorf("hold: %w", err)
		}
		if !has {
			return errs.New(errs.NotFound, "subject: has no receipt")
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO legal_holds (subject, reason, held_by, held_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (subject) DO UPDATE SET reason = excluded.reason, held_by = excluded.held_by, held_at = excluded.held_at`,
			h.Subject, h.Reason, h.By, put.Time(h.At).UnixMicro())
		if err != nil {
			return fmt.Errorf("hold: %w", err)
		}
		return nil
	})
}

// Release implements receipt.Retention.
func (db *DB) Release(ctx context.Context, subject string) error {
	return db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM legal_holds WHERE subject = ?`, subject)
		if err != nil {
			return fmt.Errorf("release: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.NotFound, "subject: is not held")
		}
		return nil
	})
}

// tombstone is the one statement that deletes a chain's bodies: what it
// keeps is what docs/store.md lists for a tombstone.
const tombstone = `UPDATE receipts SET body = X'', body_codec = 0, countersig = '', states = '{}', decision = '',
	language = '', device_key = '', shown_at = NULL, ended = ?, purged_at = ? WHERE subject = ? AND ended = ''`

// Purge implements receipt.Retention. The insights are folded first, so
// that every receipt it turns into a tombstone is counted already (the
// fold reads the receipts' rows); a subject with a receipt the fold has
// not reached waits for the next run. Each batch of subjects is one of the
// writer's transactions: a crash rolls the batch in progress back whole.
// Erased chains come first, by subject, then withdrawn ones, by their
// newest receipt's seq: each kind has a cursor, so that held chains are
// passed over once per run rather than found again by every batch.
func (db *DB) Purge(ctx context.Context, opt receipt.PurgeOptions) (receipt.PurgeResult, error) {
	if opt.Batch <= 0 {
		opt.Batch = receipt.DefaultPurgeBatch
	}
	if opt.Now.IsZero() {
		opt.Now = db.now.Now()
	}
	if !opt.DryRun {
		for {
			more, err := db.Fold(ctx)
			if err != nil {
				return receipt.PurgeResult{}, fmt.Errorf("purge: fold: %w", err)
			}
			if !more {
				break
			}
		}
	}
	var res receipt.PurgeResult
	for _, kind := range []string{receipt.EndErased, receipt.EndWithdrawn} {
		cursor := any("")
		if kind == receipt.EndWithdrawn {
			cursor = int64(0)
		}
		for {
			// The chains due are looked for by the readers, so that the
			// search, which reads every receipt for withdrawn chains, never
			// holds the writer; the writer checks each again and purges.
			var b purgeBatch
			if err := readTx(ctx, db.read, func(ctx context.Context, tx *sql.Tx) error {
				return b.pick(ctx, tx, kind, cursor, opt)
			}); err != nil {
				return res, err
			}
			job := func(ctx context.Context, tx *sql.Tx) error { return b.apply(ctx, tx, kind, opt) }
			var err error
			if opt.DryRun {
				// A dry run writes nothing: it reads in one read transaction.
				err = readTx(ctx, db.read, job)
			} else if len(b.due) > 0 {
				err = db.writer.Do(ctx, job)
			}
			if err != nil {
				return res, err
			}
			for _, subject := range b.subjects {
				db.tips.forgetSubject(subject)
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

// purgeBatch is one transaction of a purge.
type purgeBatch struct {
	found, purged, receipts, held int
	cursor                        any // where the next batch starts
	subjects                      []string
	due                           []due
}

// due is a chain a batch found due, as found.
type due struct {
	subject, head string
	ended         int64
}

// dueErased and dueWithdrawn select the chains a batch may purge, after a
// cursor. A withdrawn chain is one whose newest receipt gives nothing and
// is older than the cutoff, with no ending yet.
const (
	dueErased = `SELECT subject, head_hash, ended_at, subject FROM subject_endings
		WHERE purged_at IS NULL AND ended_at <= ?1 AND subject > ?2 ORDER BY subject LIMIT ?3`
	dueWithdrawn = `SELECT r.subject, r.hash, r.received_at, r.seq FROM receipts r
		WHERE r.seq > ?2 AND r.ended = '' AND r.received_at <= ?1
		AND NOT EXISTS (SELECT 1 FROM receipts s WHERE s.subject = r.subject AND s.n = r.n + 1)
		AND NOT EXISTS (SELECT 1 FROM json_each(r.states) WHERE value = 'given')
		AND NOT EXISTS (SELECT 1 FROM subject_endings e WHERE e.subject = r.subject)
		ORDER BY r.seq LIMIT ?3`
)

// pick finds the next batch of chains due after cursor.
func (b *purgeBatch) pick(ctx context.Context, tx *sql.Tx, kind string, cursor any, opt receipt.PurgeOptions) error {
	query := dueErased
	if kind == receipt.EndWithdrawn {
		query = dueWithdrawn
	}
	rows, err := tx.QueryContext(ctx, query, opt.Cutoff.UnixMicro(), cursor, opt.Batch)
	if err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d due
		if kind == receipt.EndWithdrawn {
			var seq int64
			err = rows.Scan(&d.subject, hashColumn{&d.head}, &d.ended, &seq)
			b.cursor = seq
		} else {
			var subject string
			err = rows.Scan(&d.subject, &d.head, &d.ended, &subject)
			b.cursor = subject
		}
		if err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		b.due = append(b.due, d)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	b.found = len(b.due)
	return nil
}

// apply checks each chain picked again, in the writer's transaction (a
// hold, an append or another purge may have come since), and purges it.
// It may run more than once (a rolled-back batch), so it sets its counts
// afresh.
func (b *purgeBatch) apply(ctx context.Context, tx *sql.Tx, kind string, opt receipt.PurgeOptions) error {
	b.purged, b.receipts, b.held, b.subjects = 0, 0, 0, nil
	var folded int64
	if err := tx.QueryRowContext(ctx, `SELECT folded_seq FROM insight_state`).Scan(&folded); err != nil {
		return fmt.Errorf("purge: %w", err)
	}
	at := put.Time(opt.Now).UnixMicro()
	for _, d := range b.due {
		var held, unfolded, still bool
		var n int
		err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM legal_holds WHERE subject = ?1),
			EXISTS (SELECT 1 FROM receipts WHERE subject = ?1 AND seq > ?2),
			(SELECT count(*) FROM receipts WHERE subject = ?1 AND ended = ''),
			CASE WHEN ?3 = 'erased'
				THEN EXISTS (SELECT 1 FROM subject_endings WHERE subject = ?1 AND purged_at IS NULL)
				ELSE NOT EXISTS (SELECT 1 FROM subject_endings WHERE subject = ?1)
					AND ?4 = (SELECT hash FROM receipts WHERE subject = ?1 ORDER BY n DESC LIMIT 1)
			END`, d.subject, folded, kind, hashValue(d.head)).Scan(&held, &unfolded, &n, &still)
		if err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		switch {
		case !still:
			continue
		case held:
			b.held++
			continue
		case opt.DryRun:
			b.purged++
			b.receipts += n
			continue
		case unfolded:
			continue
		}
		if kind == receipt.EndWithdrawn {
			_, err = tx.ExecContext(ctx, `INSERT INTO subject_endings (`+endingColumns+`) VALUES (?, ?, ?, ?, X'', '', '', ?)`,
				d.subject, kind, d.ended, d.head, at)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE subject_endings SET purged_at = ? WHERE subject = ?`, at, d.subject)
		}
		if err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		r, err := tx.ExecContext(ctx, tombstone, kind, at, d.subject)
		if err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		tombs, _ := r.RowsAffected()
		if _, err := tx.ExecContext(ctx, `DELETE FROM subject_keys WHERE subject = ?`, d.subject); err != nil {
			return fmt.Errorf("purge: %w", err)
		}
		b.purged++
		b.receipts += int(tombs)
		b.subjects = append(b.subjects, d.subject)
	}
	return nil
}

// readTx runs fn in a read transaction of the readers' pool.
func readTx(ctx context.Context, pool *sql.DB, fn func(context.Context, *sql.Tx) error) error {
	tx, err := pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(ctx, tx)
}

// RecordPurge implements receipt.Retention.
func (db *DB) RecordPurge(ctx context.Context, run receipt.PurgeRun) error {
	return db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO purge_runs (node, started_at, finished_at, cutoff, subjects, receipts, held, busy, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, run.Node, run.StartedAt.UnixMicro(), run.FinishedAt.UnixMicro(), run.Cutoff.UnixMicro(),
			run.Result.Subjects, run.Result.Receipts, run.Result.Held, run.Result.Busy, run.Err)
		if err != nil {
			return fmt.Errorf("purge runs: %w", err)
		}
		return nil
	})
}

// PurgeRuns implements receipt.Retention.
func (db *DB) PurgeRuns(ctx context.Context, n int) ([]receipt.PurgeRun, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT node, started_at, finished_at, cutoff, subjects, receipts, held, busy, error
		FROM purge_runs ORDER BY seq DESC LIMIT ?`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []receipt.PurgeRun
	for rows.Next() {
		var r receipt.PurgeRun
		var started, finished, cutoff int64
		if err := rows.Scan(&r.Node, &started, &finished, &cutoff, &r.Result.Subjects, &r.Result.Receipts, &r.Result.Held, &r.Result.Busy, &r.Err); err != nil {
			return nil, err
		}
		r.StartedAt, r.FinishedAt, r.Cutoff = time.UnixMicro(started).UTC(), time.UnixMicro(finished).UTC(), time.UnixMicro(cutoff).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}
