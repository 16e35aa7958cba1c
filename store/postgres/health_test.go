package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/pgtest"
	"github.com/kaiconn/consent/store/storetest"
)

func TestCheckHealth(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.SchemaDSN(t)
	db := open(t, dsn)
	require.NoError(t, db.CheckHealth(ctx), "an empty store")
	r := storetest.NewRecord(storetest.NewSubject(), nil)
	_, _, err := db.Put(ctx, r, receipt.PutOptions{})
	require.NoError(t, err)
	require.NoError(t, db.CheckHealth(ctx), "with a receipt")
	conn, err := pgx.Connect(ctx, dsn)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM nonces WHERE nonce = 'kaiconn-health-probe'`).Scan(&n))
	assert.Equal(t, 1, n, "the write probe is one row, however often it runs")

	// A database that refuses writes (a full disk, a standby after a
	// fail-over) must not look healthy although it still answers reads: a
	// trigger that fails every write to the probe's table stands in for it.
	_, err = conn.Exec(ctx, `CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
		CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE ON nonces FOR EACH ROW EXECUTE FUNCTION refuse_writes()`)
	require.NoError(t, err)
	require.NoError(t, db.Ping(ctx))
	err = db.CheckHealth(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "write")
}
