package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/store/pgtest"
	"github.com/kaiconn/consent/store/storetest"
)

func TestConsole(t *testing.T) {
	storetest.RunConsole(t, func(t *testing.T) storetest.ConsoleStore { return open(t, pgtest.SchemaDSN(t)) })
}

// The audit log refuses, in the database itself, to change or lose an
// entry, whoever asks.
func TestAuditAppendOnly(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.SchemaDSN(t)
	db := open(t, dsn)
	_, err := db.Append(ctx, console.Entry{Operator: "li.na", Action: console.ActionSignIn, Outcome: console.OutcomeOK})
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	for name, stmt := range map[string]string{
		"Update":   `UPDATE audit_log SET outcome = 'denied'`,
		"Delete":   `DELETE FROM audit_log`,
		"Truncate": `TRUNCATE audit_log`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := conn.Exec(ctx, stmt)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "audit_log is append-only")
		})
	}
}

// Someone with the database's owner role disables the append-only
// triggers, deletes an entry and re-hashes the rest: the server's signed
// checkpoint shows it.
func TestAuditAnchoredAgainstRehash(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	storetest.CheckAuditAnchored(t, open(t, dsn), func(t *testing.T, entries []console.Entry) {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, dsn)
		require.NoError(t, err)
		defer conn.Close(ctx)
		tx, err := conn.Begin(ctx)
		require.NoError(t, err)
		for _, stmt := range []string{`ALTER TABLE audit_log DISABLE TRIGGER USER`, `DELETE FROM audit_log`} {
			_, err := tx.Exec(ctx, stmt)
			require.NoError(t, err)
		}
		for _, e := range entries {
			_, err := tx.Exec(ctx, `INSERT INTO audit_log (seq, at, operator, role, action, target, outcome, prev_hash, hash)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, e.Seq, e.At, e.Operator, string(e.Role), e.Action, e.Target, e.Outcome, e.PrevHash, e.Hash)
			require.NoError(t, err)
		}
		_, err = tx.Exec(ctx, `ALTER TABLE audit_log ENABLE TRIGGER USER`)
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx))
	})
}
