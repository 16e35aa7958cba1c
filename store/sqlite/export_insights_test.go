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

// BulkLoad stores chains with the insert Put uses, about perTx receipts to
// a transaction (whole chains), without Put's checks: generated data that
// is known to chain. The folder counts them as it counts any receipt.
func BulkLoad(tb testing.TB, db *DB, chains iter.Seq[[]receipt.Record], perTx int) int {
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
		if inBatch += len(chain); inBatch >= perTx {
			flush()
		}
	}
	if inBatch > 0 {
		flush()
	}
	return count
}

// PauseFolding stops the background folder, so that a test folds by hand
// (DB.Fold) and knows what is counted.
func PauseFolding(db *DB) {
	db.folder.stop()
	db.folder.stopc = make(chan struct{}) // for Close to stop again
}
