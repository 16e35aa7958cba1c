package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/put"
	"github.com/kaiconn/consent/store/internal/tally"
)

// The insights' counts (schema 3) are kept off Put's path: Put stores a
// receipt and nothing else, and the folder adds the receipts stored since
// its watermark to the counts about once a second, merged, in one of the
// writer's transactions with the new watermark. A receipt is then counted
// exactly once: either it is at or below the watermark and in the counts,
// or above it and in the tail that every insights query adds (tail.go),
// both read in one snapshot.
//
// Merging is what makes this cheap: a second of receipts of one day
// touches a few dozen count rows, where counting each receipt as it is
// stored would update some eight rows per receipt
// (BenchmarkInsightsCost).

// foldEvery is how often the folder looks for receipts to count.
const foldEvery = time.Second

// foldMax bounds the receipts one fold counts, so that its transaction,
// which holds the writer, stays short; a folder behind catches up fold by
// fold.
const foldMax = 20000

// The statements of a fold; each adds n to one row of the counts.
const (
	countDecision = `INSERT INTO insight_decisions (day, surface, language, policy_version, decision, reask, n)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n`
	countPurpose = `INSERT INTO insight_purposes (day, surface, language, policy_version, reask, purpose, state, n)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n`
	countLatency = `INSERT INTO insight_latency (day, surface, language, seconds, n)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET n = n + excluded.n`
)

// folder runs the folds in the background.
type folder struct {
	stopc, stopped chan struct{}
	counts         tally.Counts // the writer's goroutine only
}

func (f *folder) start(db *DB) {
	f.stopc, f.stopped = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(f.stopped)
		tick := time.NewTicker(foldEvery)
		defer tick.Stop()
		var seen uint64
		for {
			select {
			case <-f.stopc:
				return
			case <-tick.C:
			}
			if n := db.commits.Load(); n != seen {
				seen = n
				// A fold that fails is retried at the next tick: the
				// queries count the tail meanwhile.
				for {
					more, err := db.Fold(context.Background())
					if err != nil || !more {
						break
					}
				}
			}
		}
	}()
}

func (f *folder) stop() {
	close(f.stopc)
	<-f.stopped
}

// Fold counts the receipts stored since the last fold, at most foldMax of
// them, and reports whether more are waiting. The server never needs to
// call it; tests and tools that want the counts up to date do.
func (db *DB) Fold(ctx context.Context) (more bool, err error) {
	err = db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		more = false
		c := &db.folder.counts
		c.Reset()
		var from int64
		if err := tx.QueryRowContext(ctx, `SELECT folded_seq FROM insight_state`).Scan(&from); err != nil {
			return fmt.Errorf("fold: %w", err)
		}
		rows, err := tx.QueryContext(ctx, `SELECT seq, surface, language, policy_version, decision, reask, issued_at, shown_at, states
			FROM receipts WHERE seq > ? ORDER BY seq LIMIT ?`, from, foldMax)
		if err != nil {
			return fmt.Errorf("fold: %w", err)
		}
		last, n := from, 0
		for rows.Next() {
			var (
				r      receipt.Record
				issued int64
				shown  sql.NullInt64
				states []byte
			)
			if err := rows.Scan(&last, &r.Surface, &r.Language, &r.PolicyVersion, &r.Decision, &r.Reask, &issued, &shown, &states); err != nil {
				rows.Close()
				return fmt.Errorf("fold: %w", err)
			}
			r.IssuedAt = time.UnixMicro(issued)
			if shown.Valid {
				r.ShownAt = time.UnixMicro(shown.Int64)
			}
			if r.States, err = put.DecodeStates(states); err != nil {
				rows.Close()
				return fmt.Errorf("fold: receipt %d: %w", last, err)
			}
			c.Add(r)
			n++
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("fold: %w", err)
		}
		if n == 0 {
			return nil
		}
		if err := writeCounts(ctx, tx, c); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE insight_state SET folded_seq = ?`, last); err != nil {
			return fmt.Errorf("fold: %w", err)
		}
		more = n == foldMax
		return nil
	})
	return more, err
}

// writeCounts adds counts to the count rows, in the order of their keys.
func writeCounts(ctx context.Context, tx *sql.Tx, c *tally.Counts) error {
	stmts := map[string]*sql.Stmt{}
	for _, q := range []string{countDecision, countPurpose, countLatency} {
		s, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("fold: %w", err)
		}
		defer s.Close()
		stmts[q] = s
	}
	for _, k := range tally.Sorted(c.Decisions, tally.CompareDecision) {
		if _, err := stmts[countDecision].ExecContext(ctx, int64(k.Day), k.Surface, k.Language, k.PolicyVersion, k.Decision, k.Reask, c.Decisions[k]); err != nil {
			return fmt.Errorf("fold: %w", err)
		}
	}
	for _, k := range tally.Sorted(c.Purposes, tally.ComparePurpose) {
		if _, err := stmts[countPurpose].ExecContext(ctx, int64(k.Day), k.Surface, k.Language, k.PolicyVersion, k.Reask, k.Purpose, k.State, c.Purposes[k]); err != nil {
			return fmt.Errorf("fold: %w", err)
		}
	}
	for _, k := range tally.Sorted(c.Latencies, tally.CompareLatency) {
		if _, err := stmts[countLatency].ExecContext(ctx, int64(k.Day), k.Surface, k.Language, k.Seconds, c.Latencies[k]); err != nil {
			return fmt.Errorf("fold: %w", err)
		}
	}
	return nil
}
