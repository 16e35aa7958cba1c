package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiconn/consent/store/internal/tally"
)

// wtx is the writer's transaction. A write is not sent when a job makes
// it but with the next statement that reads, or with the commit, in one
// round trip: a Put then costs one round trip to the server, its checks,
// instead of two, and the writer, which waits for every round trip, gets
// through twice as many jobs. Statements run in the order they were
// queued, so a read still sees every earlier write of its transaction.
//
// A write that fails makes the read or commit it travels with fail; the
// batch writer then rolls the batch back and runs each job alone, so the
// failure lands on the job that caused it.
//
// The insights' counts of the receipts a transaction inserts travel with
// its commit (queueCounts).
type wtx struct {
	tx      pgx.Tx
	pending pgx.Batch
	counts  tally.Counts
}

// queue adds a write to send with the next read or the commit.
func (w *wtx) queue(sql string, args ...any) { w.pending.Queue(sql, args...) }

// queryRow sends the queued writes and then sql, and scans sql's one row.
func (w *wtx) queryRow(ctx context.Context, scan func(pgx.Row) error, sql string, args ...any) error {
	b := w.take()
	writes := b.Len()
	b.Queue(sql, args...)
	results := w.tx.SendBatch(ctx, b)
	for range writes {
		if _, err := results.Exec(); err != nil {
			return errors.Join(err, results.Close())
		}
	}
	if err := scan(results.QueryRow()); err != nil {
		return errors.Join(err, results.Close())
	}
	return results.Close()
}

// flush sends the queued writes.
func (w *wtx) flush(ctx context.Context) error {
	if w.pending.Len() == 0 {
		return nil
	}
	return w.tx.SendBatch(ctx, w.take()).Close()
}

// take hands the queued writes over: results read the batch they were
// sent with, so it must not be reused.
func (w *wtx) take() *pgx.Batch {
	b := w.pending
	w.pending = pgx.Batch{}
	return &b
}

// txs lets package batch begin and end the writer's transactions.
type txs struct{ pool *pgxpool.Pool }

func (t txs) Begin(ctx context.Context) (*wtx, error) {
	tx, err := t.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &wtx{tx: tx}, nil
}

func (txs) Commit(ctx context.Context, w *wtx) error {
	w.queueCounts()
	if err := w.flush(ctx); err != nil {
		return errors.Join(err, w.tx.Rollback(ctx))
	}
	return w.tx.Commit(ctx)
}

func (txs) Rollback(ctx context.Context, w *wtx) error { return w.tx.Rollback(ctx) }
