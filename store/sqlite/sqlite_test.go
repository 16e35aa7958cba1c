package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/sqlite"
	"github.com/kaiconn/consent/store/storetest"
)

// reopenable lets the contract suite close the store and open the same file.
type reopenable struct {
	*sqlite.DB
	path string
}

func (r reopenable) Reopen(t *testing.T) receipt.Store { return open(t, r.path) }

func (r reopenable) NonceCount(t *testing.T) int { return sqlite.CountRows(t, r.DB, "nonces") }

func open(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, db.Close()) })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) receipt.Store {
		path := filepath.Join(t.TempDir(), "receipts.db")
		return reopenable{open(t, path), path}
	})
}

func TestOpen(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "receipts.db")
		db := open(t, path)
		require.NoError(t, db.Close())
		_, err := os.Stat(path)
		assert.NoError(t, err, "Open must create the file")
	})

	t.Run("Settings", func(t *testing.T) {
		// The durability promise rests on these; a driver upgrade that
		// silently dropped a DSN pragma must fail here.
		db := open(t, filepath.Join(t.TempDir(), "receipts.db"))
		got := sqlite.Settings(t, db)
		assert.Equal(t, map[string]string{
			"journal_mode": "wal",
			"synchronous":  "2", // FULL
			"foreign_keys": "1",
			"busy_timeout": "10000",
			"user_version": "2",
		}, got)
	})

	t.Run("MigrateTwice", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "receipts.db")
		db := open(t, path)
		r := storetest.NewRecord(storetest.NewSubject(), nil)
		_, _, err := db.Put(context.Background(), r, receipt.PutOptions{})
		require.NoError(t, err)
		require.NoError(t, db.Close())

		db = open(t, path)
		_, err = db.Get(context.Background(), r.ID)
		assert.NoError(t, err)
	})

	t.Run("ErrNoDirectory", func(t *testing.T) {
		db, err := sqlite.Open(filepath.Join(t.TempDir(), "missing", "receipts.db"))
		if err == nil {
			db.Close()
		}
		assert.Error(t, err)
	})

	t.Run("ErrEmptyPath", func(t *testing.T) {
		_, err := sqlite.Open("")
		assert.Error(t, err)
	})
}
