package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/chaintest"
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

func (r reopenable) SetClock(now func() time.Time) { postgres.SetClock(r.DB, now) }

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

// TestTwoInstances races two stores on one database, as two server
// instances would: the constraints, not the writer, must then keep chains
// linear and keys to one subject, and the losers must get the same answers
// as within one instance.
func TestTwoInstances(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.SchemaDSN(t)
	a, b := open(t, dsn), open(t, dsn)
	stores := []*postgres.DB{a, b}

	race := func(n int, record func(i int) receipt.Record) (created int, codes map[string]int) {
		codes = map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			r := record(i)
			wg.Go(func() {
				<-start
				_, ok, err := stores[i%2].Put(ctx, r, receipt.PutOptions{})
				mu.Lock()
				defer mu.Unlock()
				if ok {
					created++
				}
				codes[errs.Code(err)]++
			})
		}
		close(start)
		wg.Wait()
		return created, codes
	}

	t.Run("Chain", func(t *testing.T) {
		subject := storetest.NewSubject()
		var head *receipt.Record
		for round := range 4 {
			records := make([]receipt.Record, 8)
			created, codes := race(8, func(i int) receipt.Record {
				records[i] = storetest.NewRecord(subject, head)
				return records[i]
			})
			assert.Equal(t, 1, created, "round %d: %v", round, codes)
			assert.Equal(t, 7, codes[errs.Conflict], "round %d: %v", round, codes)
			h, err := a.Head(ctx, subject)
			require.NoError(t, err)
			head = &h
		}
		all, err := b.Subject(ctx, subject)
		require.NoError(t, err)
		assert.NoError(t, storetest.CheckChain(all))
		assert.Len(t, all, 4)
	})

	t.Run("Key", func(t *testing.T) {
		key := storetest.NewKey()
		created, codes := race(8, func(int) receipt.Record {
			return storetest.NewDeviceRecord(storetest.NewSubject(), nil, key)
		})
		assert.Equal(t, 1, created, "%v", codes)
		assert.Equal(t, 7, codes[errs.Forbidden], "%v", codes)
	})

	t.Run("Retry", func(t *testing.T) {
		r := storetest.NewRecord(storetest.NewSubject(), nil)
		created, codes := race(8, func(int) receipt.Record { return r })
		assert.Equal(t, 1, created)
		assert.Equal(t, 8, codes[""], "%v", codes)
	})
}

func TestChainFacts(t *testing.T) {
	chaintest.Run(t, open(t, pgtest.SchemaDSN(t)))
}
