package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/storetest"
)

// The integrity check finds damaged pages that no read has touched: the
// newest receipt may well read fine while older ones are lost.
func TestIntegrityCheck(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kaiconn.db")
	db, err := Open(path)
	require.NoError(t, err)
	var d *storetest.Device
	var prev *receipt.Record
	subject := ""
	for i := range 400 {
		if i%storetest.ChainLength == 0 {
			d, prev, subject = storetest.NewDevice(), nil, receipt.NewSubject()
		}
		r := storetest.RealisticRecord(d, subject, prev)
		_, _, err := db.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)
		prev = &r
	}
	require.NoError(t, db.integrity(ctx), "an intact file")
	require.NoError(t, db.Close())

	storetest.SpoilPages(t, path, 8)
	db, err = Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	err = db.integrity(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the database file is damaged")
	assert.Equal(t, err, db.integrity(ctx), "the verdict is kept until the next check is due")
}
