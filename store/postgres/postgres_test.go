package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/pgtest"
	"github.com/kaiconn/consent/store/postgres"
	"github.com/kaiconn/consent/store/storetest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// reopenable lets the contract suite close the store and connect again to
// the same database.
type reopenable struct {
	*postgres.DB
	dsn string
}

func (r reopenable) Reopen(t *testing.T) receipt.Store { return open(t, r.dsn) }

func (r reopenable) NonceCount(t *testing.T) int {
	conn, err := pgx.Connect(context.Background(), r.dsn)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT count(*) FROM nonces`).Scan(&n))
	return n
}

func open(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, db.Close()) })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) receipt.Store {
		dsn := pgtest.SchemaDSN(t)
		return reopenable{open(t, dsn), dsn}
	})
}

func TestOpen(t *testing.T) {
	t.Run("MigrateTwice", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		db := open(t, dsn)
		r := storetest.NewRecord(storetest.NewSubject(), nil)
		_, _, err := db.Put(context.Background(), r, receipt.PutOptions{})
		require.NoError(t, err)
		require.NoError(t, db.Close())

		db = open(t, dsn)
		_, err = db.Get(context.Background(), r.ID)
		assert.NoError(t, err)
	})

	t.Run("ErrBadDSN", func(t *testing.T) {
		_, err := postgres.Open(context.Background(), "postgres://%zz")
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})
}
