package sqlite

import (
	"context"
	"database/sql"
	"iter"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/body"
	"github.com/kaiconn/consent/store/internal/put"
)

// BulkLoad stores chains with the insert Put uses, many to a transaction,
// without Put's checks: generated data that is known to chain. The
// triggers run as for any receipt, so the insights are counted the same.
func BulkLoad(tb testing.TB, db *DB, chains iter.Seq[[]receipt.Record]) int {
	tb.Helper()
	ctx := context.Background()
	var batch [][]receipt.Record
	count, inBatch := 0, 0
	flush := func() {
		err := db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
			insert := tx.StmtContext(ctx, db.stmt.insert)
			for _, chain := range batch {
				for n, r := range chain {
					packed, codec := body.Pack(r.Body)
					var shown any
					if !r.ShownAt.IsZero() {
						shown = r.ShownAt.UnixMicro()
					}
					if _, err := insert.ExecContext(ctx,
						r.ID, r.Subject, hashValue(r.PrevHash), hashValue(r.Hash), r.PolicyVersion, r.Surface,
						r.IssuedAt.UnixMicro(), r.ReceivedAt.UnixMicro(), packed, r.Countersig, r.KeyID,
						r.Schema, r.Language, r.Decision, r.DeviceKey, put.EncodeStates(r.States), shown, r.Reask, codec, n); err != nil {
						return err
					}
				}
			}
			return nil
		})
		require.NoError(tb, err)
		batch, inBatch = batch[:0], 0
	}
	for chain := range chains {
		batch = append(batch, chain)
		count += len(chain)
		if inBatch += len(chain); inBatch >= 20000 {
			flush()
		}
	}
	flush()
	return count
}
