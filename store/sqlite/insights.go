package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/kaiconn/consent/console"
)

// Every insights query reads, in one snapshot, the counts (up to the
// folder's watermark) and the tail of receipts stored after it, and adds
// them up: exact whatever the folder's progress, and fast because the tail
// is a second or two of receipts found by their seq.

// dayOf is the day of a receipt's decision, as console.DayOf counts it:
// built from console.ZoneOffset, the one offset of the console's days.
var dayOf = "((issued_at / 1000000 + " + strconv.Itoa(console.ZoneOffset) + ") / 86400)"

// audienceOf is console.AudienceOf in SQL.
var audienceOf = console.AudienceSQL("surface")

// bucketOf is console.LatencyBucket of s in SQL.
const bucketOf = `(CASE WHEN s < 120 THEN s WHEN s < 600 THEN s - s % 10 WHEN s < 3600 THEN s - s % 60
	WHEN s < 86400 THEN s - s % 3600 ELSE 86400 END)`

// filter is the WHERE clause of f, over the counts (day is a column) or
// over receipts (day is dayOf), and its arguments.
func filter(f console.Filter, day string) (string, []any) {
	clause := []string{day + " BETWEEN ? AND ?"}
	args := []any{int64(f.From), int64(f.To)}
	if f.Surface != "" {
		clause, args = append(clause, "surface = ?"), append(args, f.Surface)
	}
	if f.Language != "" {
		clause, args = append(clause, "language = ?"), append(args, f.Language)
	}
	return strings.Join(clause, " AND "), args
}

// snapshot runs fn in one read transaction with the folder's watermark.
func (db *DB) snapshot(ctx context.Context, fn func(tx *sql.Tx, folded int64) error) error {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var folded int64
	if err := tx.QueryRowContext(ctx, `SELECT folded_seq FROM insight_state`).Scan(&folded); err != nil {
		return fmt.Errorf("insights: %w", err)
	}
	return fn(tx, folded)
}

// sum runs the query over the counts and the one over the tail, and adds
// their rows up by key; each query's rows are the key's columns, then n.
func sum[K comparable](ctx context.Context, db *DB, counts, tail string, args []any, scan func(scanner) (K, int64, error)) (map[K]int64, error) {
	out := map[K]int64{}
	err := db.snapshot(ctx, func(tx *sql.Tx, folded int64) error {
		for i, q := range []string{counts, tail} {
			a := args
			if i == 1 {
				a = append([]any{folded}, args...)
			}
			rows, err := tx.QueryContext(ctx, q, a...)
			if err != nil {
				return fmt.Errorf("insights: %w", err)
			}
			for rows.Next() {
				k, n, err := scan(rows)
				if err != nil {
					rows.Close()
					return err
				}
				out[k] += n
			}
			if err := rows.Close(); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// DecisionsByDay implements console.Insights.
func (db *DB) DecisionsByDay(ctx context.Context, f console.Filter) ([]console.DecisionCount, error) {
	cw, args := filter(f, "day")
	tw, _ := filter(f, dayOf)
	m, err := sum(ctx, db,
		`SELECT day, decision, sum(n) FROM insight_decisions WHERE `+cw+` GROUP BY 1, 2`,
		`SELECT `+dayOf+`, decision, count(*) FROM receipts WHERE seq > ? AND `+tw+` GROUP BY 1, 2`, args,
		func(s scanner) (k console.DecisionCount, n int64, err error) {
			return k, n, s.Scan(&k.Day, &k.Decision, &n)
		})
	return collected(m, func(k *console.DecisionCount, n int64) { k.N = n }), err
}

// PurposeStates implements console.Insights.
func (db *DB) PurposeStates(ctx context.Context, f console.Filter) ([]console.PurposeCount, error) {
	cw, args := filter(f, "day")
	tw, _ := filter(f, dayOf)
	m, err := sum(ctx, db,
		`SELECT `+audienceOf+`, purpose, state, sum(n) FROM insight_purposes WHERE `+cw+` GROUP BY 1, 2, 3`,
		`SELECT `+audienceOf+`, j.key, j.value, count(*) FROM receipts, json_each(receipts.states) AS j
			WHERE seq > ? AND `+tw+` GROUP BY 1, 2, 3`, args,
		func(s scanner) (k console.PurposeCount, n int64, err error) {
			return k, n, s.Scan(&k.Audience, &k.Purpose, &k.State, &n)
		})
	return collected(m, func(k *console.PurposeCount, n int64) { k.N = n }), err
}

// TimesToDecision implements console.Insights.
func (db *DB) TimesToDecision(ctx context.Context, f console.Filter) ([]console.LatencyCount, error) {
	cw, args := filter(f, "day")
	tw, _ := filter(f, dayOf)
	m, err := sum(ctx, db,
		`SELECT seconds, sum(n) FROM insight_latency WHERE `+cw+` GROUP BY 1`,
		`SELECT `+bucketOf+`, count(*) FROM (SELECT (issued_at - shown_at) / 1000000 AS s FROM receipts
			WHERE seq > ? AND shown_at IS NOT NULL AND `+tw+`) WHERE s >= 0 GROUP BY 1`, args,
		func(s scanner) (k console.LatencyCount, n int64, err error) { return k, n, s.Scan(&k.Seconds, &n) })
	return collected(m, func(k *console.LatencyCount, n int64) { k.N = n }), err
}

// Reasks implements console.Insights.
func (db *DB) Reasks(ctx context.Context, f console.Filter) ([]console.ReaskCount, error) {
	cw, args := filter(f, "day")
	tw, _ := filter(f, dayOf)
	m, err := sum(ctx, db,
		`SELECT policy_version, decision, sum(n) FROM insight_decisions WHERE reask = 1 AND `+cw+` GROUP BY 1, 2`,
		`SELECT policy_version, decision, count(*) FROM receipts WHERE seq > ? AND reask = 1 AND `+tw+` GROUP BY 1, 2`, args,
		func(s scanner) (k console.ReaskCount, n int64, err error) {
			return k, n, s.Scan(&k.PolicyVersion, &k.Decision, &n)
		})
	return collected(m, func(k *console.ReaskCount, n int64) { k.N = n }), err
}

// ReaskPurposes implements console.Insights.
func (db *DB) ReaskPurposes(ctx context.Context, f console.Filter) ([]console.ReaskPurposeCount, error) {
	cw, args := filter(f, "day")
	tw, _ := filter(f, dayOf)
	m, err := sum(ctx, db,
		`SELECT policy_version, `+audienceOf+`, purpose, state, sum(n) FROM insight_purposes WHERE reask = 1 AND `+cw+` GROUP BY 1, 2, 3, 4`,
		`SELECT policy_version, `+audienceOf+`, j.key, j.value, count(*) FROM receipts, json_each(receipts.states) AS j
			WHERE seq > ? AND reask = 1 AND `+tw+` GROUP BY 1, 2, 3, 4`, args,
		func(s scanner) (k console.ReaskPurposeCount, n int64, err error) {
			return k, n, s.Scan(&k.PolicyVersion, &k.Audience, &k.Purpose, &k.State, &n)
		})
	return collected(m, func(k *console.ReaskPurposeCount, n int64) { k.N = n }), err
}

// Health implements console.Insights.
func (db *DB) Health(ctx context.Context, since console.Day) (console.Health, error) {
	h := console.Health{Engine: "SQLite"}
	var pages, pageSize int64
	err := db.read.QueryRowContext(ctx, `SELECT (SELECT user_version FROM pragma_user_version), (SELECT page_count FROM pragma_page_count),
		(SELECT page_size FROM pragma_page_size)`).Scan(&h.SchemaVersion, &pages, &pageSize)
	if err != nil {
		return h, fmt.Errorf("health: %w", err)
	}
	h.SizeBytes = pages * pageSize
	days, err := sum(ctx, db,
		`SELECT day, sum(n) FROM insight_decisions GROUP BY 1`,
		`SELECT `+dayOf+`, count(*) FROM receipts WHERE seq > ? GROUP BY 1`, nil,
		func(s scanner) (d console.Day, n int64, err error) { return d, n, s.Scan(&d, &n) })
	for d, n := range days {
		h.Receipts += n
		if d >= since {
			h.PerDay = append(h.PerDay, console.DayTotal{Day: d, N: n})
		}
	}
	sortBy(h.PerDay, func(a, b console.DayTotal) bool { return a.Day < b.Day })
	return h, err
}
