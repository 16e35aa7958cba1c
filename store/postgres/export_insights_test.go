package postgres

import (
	"context"
	"iter"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/body"
	"github.com/kaiconn/consent/store/internal/put"
	"github.com/kaiconn/consent/store/internal/tally"
)

// BulkLoad stores chains with COPY, many to a transaction, without Put's
// checks: generated data that is known to chain. The insights are counted
// in the same transaction, as Put counts them.
func BulkLoad(tb testing.TB, db *DB, chains iter.Seq[[]receipt.Record]) int {
	tb.Helper()
	ctx := context.Background()
	cols := []string{"id", "subject", "prev_hash", "hash", "policy_version", "surface", "issued_at", "received_at", "body",
		"countersig", "key_id", "schema_version", "language", "decision", "device_key", "states", "shown_at", "reask", "body_codec"}
	var rows [][]any
	var counts tally.Counts
	count := 0
	flush := func() {
		err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"receipts"}, cols, pgx.CopyFromRows(rows)); err != nil {
				return err
			}
			w := &wtx{tx: tx, counts: counts}
			w.queueCounts()
			return w.flush(ctx)
		})
		require.NoError(tb, err)
		rows, counts = rows[:0], tally.Counts{}
	}
	for chain := range chains {
		for _, r := range chain {
			packed, codec := body.Pack(r.Body)
			var shown any
			if !r.ShownAt.IsZero() {
				shown = r.ShownAt
			}
			rows = append(rows, []any{r.ID, r.Subject, r.PrevHash, r.Hash, r.PolicyVersion, r.Surface, r.IssuedAt, r.ReceivedAt,
				packed, r.Countersig, r.KeyID, int16(r.Schema), r.Language, r.Decision, r.DeviceKey, put.EncodeStates(r.States),
				shown, r.Reask, int16(codec)})
			counts.Add(r)
			count++
		}
		if len(rows) >= 20000 {
			flush()
		}
	}
	flush()
	return count
}
