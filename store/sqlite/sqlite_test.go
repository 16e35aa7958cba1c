package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/chaintest"
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

func (r reopenable) SetClock(now func() time.Time) { sqlite.SetClock(r.DB, now) }

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

func TestGroupCommit(t *testing.T) {
	// Receipts that arrive while the writer commits share its next
	// commit: far fewer commits, and so fsyncs, than receipts.
	db := open(t, filepath.Join(t.TempDir(), "kaiconn.db"))
	const puts = 32
	before := sqlite.Commits(db)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range puts {
		wg.Go(func() {
			<-start
			_, _, err := db.Put(context.Background(), storetest.NewRecord(storetest.NewSubject(), nil), receipt.PutOptions{})
			assert.NoError(t, err)
		})
	}
	close(start)
	wg.Wait()
	commits := sqlite.Commits(db) - before
	assert.Less(t, commits, uint64(puts))
	t.Logf("%d receipts in %d commits", puts, commits)
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
			"user_version": "4",
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

	t.Run("OwnerOnly", func(t *testing.T) {
		// Receipts are personal data: the file and the WAL and shared
		// memory files SQLite creates beside it are the server user's
		// alone, whatever the umask allows.
		path := filepath.Join(t.TempDir(), "kaiconn.db")
		db := open(t, path)
		_, _, err := db.Put(context.Background(), storetest.NewRecord(storetest.NewSubject(), nil), receipt.PutOptions{})
		require.NoError(t, err)
		for _, name := range []string{path, path + "-wal", path + "-shm"} {
			st, err := os.Stat(name)
			require.NoError(t, err)
			assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), name)
		}
	})

	t.Run("ExistingFileKeepsItsMode", func(t *testing.T) {
		// An operator's choice for an existing file is left alone.
		path := filepath.Join(t.TempDir(), "kaiconn.db")
		require.NoError(t, os.WriteFile(path, nil, 0o640))
		open(t, path)
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o640), st.Mode().Perm())
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

func TestChainFacts(t *testing.T) {
	chaintest.Run(t, open(t, filepath.Join(t.TempDir(), "kaiconn.db")))
}
