package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/sqlite"
	"github.com/kaiconn/consent/store/storetest"
)

// probeRows counts the health probe's rows in the file at path.
func probeRows(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)")
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM nonces WHERE nonce = 'kaiconn-health-probe'`).Scan(&n))
	return n
}

func TestCheckHealth(t *testing.T) {
	ctx := context.Background()
	t.Run("OKEmpty", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kaiconn.db")
		db := open(t, path)
		require.NoError(t, db.CheckHealth(ctx))
		require.NoError(t, db.CheckHealth(ctx))
		assert.Equal(t, 1, probeRows(t, path), "the write probe is one row, however often it runs")
	})

	// fill stores chains of realistic receipts and closes the file.
	fill := func(t *testing.T, path string, n int) {
		db, err := sqlite.Open(path)
		require.NoError(t, err)
		var d *storetest.Device
		var prev *receipt.Record
		subject := ""
		for i := range n {
			if i%storetest.ChainLength == 0 {
				d, prev, subject = storetest.NewDevice(), nil, receipt.NewSubject()
			}
			r := storetest.RealisticRecord(d, subject, prev)
			_, _, err := db.Put(ctx, r, receipt.PutOptions{})
			require.NoError(t, err)
			prev = &r
		}
		require.NoError(t, db.Close())
	}
	t.Run("OKWithReceipts", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kaiconn.db")
		fill(t, path, 50)
		assert.NoError(t, open(t, path).CheckHealth(ctx))
	})
	t.Run("ErrDamagedPages", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "kaiconn.db")
		fill(t, path, 400)
		storetest.SpoilPages(t, path, 8)
		db := open(t, path)
		require.NoError(t, db.Ping(ctx), "one row still reads")
		assert.Error(t, db.CheckHealth(ctx))
	})
}
