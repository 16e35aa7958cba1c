package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/storetest"
)

func TestConsole(t *testing.T) {
	storetest.RunConsole(t, func(t *testing.T) storetest.ConsoleStore {
		return open(t, filepath.Join(t.TempDir(), "kaiconn.db"))
	})
}

// The audit log refuses, in the database itself, to change or lose an
// entry, whoever asks.
func TestAuditAppendOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "kaiconn.db")
	db := open(t, path)
	_, err := db.Append(ctx, console.Entry{Operator: "li.na", Action: console.ActionSignIn, Outcome: console.OutcomeOK})
	require.NoError(t, err)

	raw, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	defer raw.Close()
	for name, stmt := range map[string]string{
		"Update": `UPDATE audit_log SET outcome = 'denied'`,
		"Delete": `DELETE FROM audit_log`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := raw.ExecContext(ctx, stmt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "audit_log is append-only")
		})
	}
}

// Someone with the database file drops the append-only triggers, deletes
// an entry and re-hashes the rest: the server's signed checkpoint shows it.
func TestAuditAnchoredAgainstRehash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kaiconn.db")
	storetest.CheckAuditAnchored(t, open(t, path), func(t *testing.T, entries []console.Entry) {
		ctx := context.Background()
		raw, err := sql.Open("sqlite", path)
		require.NoError(t, err)
		defer raw.Close()
		tx, err := raw.BeginTx(ctx, nil)
		require.NoError(t, err)
		for _, stmt := range []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`, `DELETE FROM audit_log`} {
			_, err := tx.ExecContext(ctx, stmt)
			require.NoError(t, err)
		}
		for _, e := range entries {
			_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (seq, at, operator, role, action, target, outcome, prev_hash, hash)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.Seq, e.At.UnixMicro(), e.Operator, string(e.Role), e.Action, e.Target, e.Outcome, e.PrevHash, e.Hash)
			require.NoError(t, err)
		}
		require.NoError(t, tx.Commit())
	})
}

// Migration 3 counts the receipts stored before it: a file of schema 1
// opened now has insights that agree with its receipts.
func TestMigrateCountsStoredReceipts(t *testing.T) {
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
	require.NoError(t, raw.Close())

	db := open(t, path)
	storetest.CheckMigratedInsights(t, db, f)
	// And a receipt stored after the migration is counted on top.
	var head receipt.Record
	for _, r := range f.Want {
		head = r
	}
	next := storetest.NewRecord(head.Subject, &head)
	next.IssuedAt = head.IssuedAt.Add(1)
	_, _, err = db.Put(ctx, next, receipt.PutOptions{})
	require.NoError(t, err)
	h, err := db.Health(ctx, console.DayOf(head.IssuedAt)-10)
	require.NoError(t, err)
	assert.Equal(t, int64(len(f.Want)+1), h.Receipts)
	assert.Equal(t, 4, h.SchemaVersion)
}
