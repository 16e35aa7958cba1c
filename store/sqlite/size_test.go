package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/storetest"
)

// storedBytesN is how many receipts BenchmarkStoredBytes stores: enough for
// the fixed cost of an empty file (one page per table and index) to weigh
// less than a few bytes per receipt.
const storedBytesN = 5000

// BenchmarkStoredBytes stores realistic receipts, as devices chain them,
// checkpoints the WAL into the file and reports the file's size per
// receipt, indexes and key enrolments included. Each iteration fills a
// fresh file, so the figure does not depend on b.N.
func BenchmarkStoredBytes(b *testing.B) {
	ctx := context.Background()
	var perReceipt, body, countersig float64
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "kaiconn.db")
		db, err := Open(path)
		require.NoError(b, err)
		var d *storetest.Device
		var prev *receipt.Record
		subject := ""
		var bodies, sigs int
		for i := range storedBytesN {
			if i%storetest.ChainLength == 0 {
				d, prev, subject = storetest.NewDevice(), nil, receipt.NewSubject()
			}
			r := storetest.RealisticRecord(d, subject, prev)
			_, _, err := db.Put(ctx, r, receipt.PutOptions{})
			require.NoError(b, err)
			bodies += len(r.Body)
			sigs += len(r.Countersig)
			prev = &r
		}
		_, err = db.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		require.NoError(b, err)
		st, err := os.Stat(path)
		require.NoError(b, err)
		perReceipt = float64(st.Size()) / storedBytesN
		body, countersig = float64(bodies)/storedBytesN, float64(sigs)/storedBytesN

		rows, err := db.read.QueryContext(ctx, `SELECT name, SUM(pgsize), SUM(unused) FROM dbstat GROUP BY name ORDER BY 2 DESC`)
		require.NoError(b, err)
		for rows.Next() {
			var name string
			var size, unused int64
			require.NoError(b, rows.Scan(&name, &size, &unused))
			b.Logf("%-28s %8.1f bytes/receipt (%4.1f%% unused)", name, float64(size)/storedBytesN, 100*float64(unused)/float64(size))
		}
		require.NoError(b, rows.Err())
		require.NoError(b, db.Close())
	}
	b.ReportMetric(perReceipt, "bytes/receipt")
	b.ReportMetric(body, "body-bytes/receipt")
	b.ReportMetric(countersig, "countersig-bytes/receipt")
}
