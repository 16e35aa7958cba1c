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
