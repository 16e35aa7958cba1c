package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/store/sqlite"
	"github.com/kaiconn/consent/store/storetest"
)

// TestMigrateFromSchema1 opens a file written by schema 1 of this store:
// its receipts must read back exactly as stored, with the new fields
// filled and their keys enrolled.
func TestMigrateFromSchema1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kaiconn.db")
	f := storetest.V1(t)

	schema1, err := os.ReadFile("migrations/0001_receipts.sql")
	require.NoError(t, err)
	raw, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = raw.ExecContext(ctx, string(schema1)+"; PRAGMA user_version = 1")
	require.NoError(t, err)
	for _, r := range f.Rows {
		_, err := raw.ExecContext(ctx, `INSERT INTO receipts (id, subject, prev_hash, hash, policy_version, surface,
			issued_at, received_at, body, countersig, key_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Subject, r.PrevHash, r.Hash, r.PolicyVersion, r.Surface,
			r.IssuedAt.UnixMicro(), r.ReceivedAt.UnixMicro(), r.Body, r.Countersig, r.KeyID)
		require.NoError(t, err)
	}
	// A row deleted by hand: AUTOINCREMENT must not hand its number out
	// again after the table is rebuilt.
	_, err = raw.ExecContext(ctx, `INSERT INTO receipts (id, subject, prev_hash, hash, policy_version, surface,
		issued_at, received_at, body, countersig, key_id) VALUES ('gone', 'sub_gone', '', 'h', 'v', 's', 0, 0, x'', '', '')`)
	require.NoError(t, err)
	var gone int64
	require.NoError(t, raw.QueryRowContext(ctx, `DELETE FROM receipts WHERE id = 'gone' RETURNING seq`).Scan(&gone))
	require.NoError(t, raw.Close())

	db := open(t, path)
	assert.Equal(t, "4", sqlite.Settings(t, db)["user_version"])
	assert.Equal(t, gone, sqlite.Sequence(t, db))
	storetest.CheckMigrated(t, db, f)
	var ok string
	require.NoError(t, sqlite.IntegrityCheck(ctx, db, &ok))
	assert.Equal(t, "ok", ok)
}
