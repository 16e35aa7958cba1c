package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/store/pgtest"
	"github.com/kaiconn/consent/store/storetest"
)

// TestMigrateFromSchema1 opens a database written by schema 1 of this
// store: its receipts must read back exactly as stored, with the new fields
// filled and their keys enrolled.
func TestMigrateFromSchema1(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.SchemaDSN(t)
	f := storetest.V1(t)

	schema1, err := os.ReadFile("migrations/0001_receipts.sql")
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, string(schema1))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, `CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
		INSERT INTO schema_migrations (version) VALUES (1)`)
	require.NoError(t, err)
	for _, r := range f.Rows {
		_, err := conn.Exec(ctx, `INSERT INTO receipts (id, subject, prev_hash, hash, policy_version, surface,
			issued_at, received_at, body, countersig, key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.ID, r.Subject, r.PrevHash, r.Hash, r.PolicyVersion, r.Surface,
			r.IssuedAt, r.ReceivedAt, r.Body, r.Countersig, r.KeyID)
		require.NoError(t, err)
	}
	require.NoError(t, conn.Close(ctx))

	db := open(t, dsn)
	storetest.CheckMigrated(t, db, f)
	// Migration 3 counted what was stored before it.
	storetest.CheckMigratedInsights(t, db, f)
}
