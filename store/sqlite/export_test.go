package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Settings reads, through the writer connection, the pragmas the store's
// durability depends on.
func Settings(t *testing.T, db *DB) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, name := range []string{"journal_mode", "synchronous", "foreign_keys", "busy_timeout", "user_version"} {
		var v string
		require.NoError(t, db.write.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&v))
		got[name] = v
	}
	return got
}

// IntegrityCheck runs PRAGMA integrity_check, which answers "ok" for a
// sound file.
func IntegrityCheck(ctx context.Context, db *DB, result *string) error {
	return db.read.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(result)
}

// CountRows counts the rows of a table, through a reader.
func CountRows(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	require.NoError(t, db.read.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// Sequence is the last seq AUTOINCREMENT handed out for receipts.
func Sequence(t *testing.T, db *DB) int64 {
	t.Helper()
	var seq int64
	require.NoError(t, db.read.QueryRowContext(context.Background(),
		"SELECT seq FROM sqlite_sequence WHERE name = 'receipts'").Scan(&seq))
	return seq
}

// Commits is how many transactions the writer committed.
func Commits(db *DB) uint64 { return db.commits.Load() }

// ForgetTips makes the store forget the tips it remembers, so that the next
// look-ups read the file.
func ForgetTips(db *DB) {
	db.tips.mu.Lock()
	defer db.tips.mu.Unlock()
	clear(db.tips.heads)
	clear(db.tips.keys)
}

// SetClock makes db read now instead of the system's clock.
func SetClock(db *DB, now func() time.Time) { db.now = now }
