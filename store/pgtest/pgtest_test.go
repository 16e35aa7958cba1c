package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/store/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestDSN(t *testing.T) {
	ctx := context.Background()
	first, second := pgtest.DSN(t), pgtest.DSN(t)
	assert.NotEqual(t, first, second, "each call must get its own database")

	conn, err := pgx.Connect(ctx, first)
	require.NoError(t, err)
	defer conn.Close(ctx)

	t.Run("Settings", func(t *testing.T) {
		// The server must be as durable as production and reachable
		// from this machine only.
		for name, want := range map[string]string{
			"fsync":              "on",
			"synchronous_commit": "on",
			"listen_addresses":   "127.0.0.1",
		} {
			var got string
			require.NoError(t, conn.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&got))
			assert.Equal(t, want, got, name)
		}
	})

	t.Run("Isolated", func(t *testing.T) {
		_, err := conn.Exec(ctx, "CREATE TABLE marker (n int)")
		require.NoError(t, err)

		other, err := pgx.Connect(ctx, second)
		require.NoError(t, err)
		defer other.Close(ctx)
		var tables int
		require.NoError(t, other.QueryRow(ctx,
			"SELECT count(*) FROM pg_tables WHERE tablename = 'marker'").Scan(&tables))
		assert.Zero(t, tables, "a table made in one test's database must not show in another's")
	})
}

func TestSchemaDSN(t *testing.T) {
	ctx := context.Background()
	first, second := pgtest.SchemaDSN(t), pgtest.SchemaDSN(t)

	conn, err := pgx.Connect(ctx, first)
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE TABLE marker (n int)")
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "INSERT INTO marker VALUES (1)")
	require.NoError(t, err)

	other, err := pgx.Connect(ctx, second)
	require.NoError(t, err)
	defer other.Close(ctx)
	_, err = other.Exec(ctx, "SELECT * FROM marker")
	assert.Error(t, err, "an unqualified table of one schema must not resolve in another")
	_, err = other.Exec(ctx, "CREATE TABLE marker (n int)")
	assert.NoError(t, err, "the same table name must be free in another schema")
}
