package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/storetest"
)

// The purge picks chains on the readers and purges them on the writer; what
// changed in between (an append, a hold) is seen by the writer.
func TestPurgeChecksAgain(t *testing.T) {
	ctx := context.Background()
	var db *DB
	now := time.Now()
	opt := receipt.PurgeOptions{Cutoff: now, Now: now, Batch: receipt.DefaultPurgeBatch}

	withdrawn := func() []receipt.Record {
		subject := storetest.NewSubject()
		first := storetest.NewRecord(subject, nil)
		first.ReceivedAt = now.Add(-2 * time.Hour)
		last := storetest.NewRecord(subject, &first)
		last.ReceivedAt = now.Add(-time.Hour)
		last.States = map[string]string{"necessary": receipt.StateWithdrawn}
		var out []receipt.Record
		for _, r := range []receipt.Record{first, last} {
			stored, _, err := db.Put(ctx, r, receipt.PutOptions{})
			require.NoError(t, err)
			out = append(out, stored)
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		between func(t *testing.T, chain []receipt.Record)
		want    purgeBatch
	}{
		{"Appended", func(t *testing.T, chain []receipt.Record) {
			r := storetest.NewRecord(chain[0].Subject, &chain[1]) // gives "necessary" again
			_, _, err := db.Put(ctx, r, receipt.PutOptions{})
			require.NoError(t, err)
		}, purgeBatch{}},
		{"Held", func(t *testing.T, chain []receipt.Record) {
			require.NoError(t, db.Hold(ctx, receipt.Hold{Subject: chain[0].Subject, Reason: "audit", By: "officer"}))
		}, purgeBatch{held: 1}},
		{"Unchanged", func(*testing.T, []receipt.Record) {}, purgeBatch{purged: 1, receipts: 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			db, err = Open(filepath.Join(t.TempDir(), "kaiconn.db"))
			require.NoError(t, err)
			defer db.Close()
			chain := withdrawn()
			_, err = db.Fold(ctx)
			require.NoError(t, err)
			var b purgeBatch
			require.NoError(t, readTx(ctx, db.read, func(ctx context.Context, tx *sql.Tx) error {
				return b.pick(ctx, tx, receipt.EndWithdrawn, int64(0), opt)
			}))
			require.Equal(t, 1, b.found, "picked")
			tt.between(t, chain)
			_, err = db.Fold(ctx)
			require.NoError(t, err)
			require.NoError(t, db.writer.Do(ctx, func(ctx context.Context, tx *sql.Tx) error {
				return b.apply(ctx, tx, receipt.EndWithdrawn, opt)
			}))
			assert.Equal(t, tt.want.purged, b.purged)
			assert.Equal(t, tt.want.receipts, b.receipts)
			assert.Equal(t, tt.want.held, b.held)
			got, err := db.Subject(ctx, chain[0].Subject)
			require.NoError(t, err)
			assert.Equal(t, tt.want.purged == 1, got[0].IsTombstone())
		})
	}
}
