package postgres_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/pgtest"
	"github.com/kaiconn/consent/store/postgres"
	"github.com/kaiconn/consent/store/storetest"
)

func TestRetention(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) storetest.RetentionStore { return open(t, pgtest.SchemaDSN(t)) })
}

// TestPurgeTwoNodes purges one database from two instances at once: every
// chain is purged once, none twice, and a hold placed from one node is
// kept by the other's purge.
func TestPurgeTwoNodes(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.SchemaDSN(t)
	a, b := open(t, dsn), open(t, dsn)
	now := time.Now()
	var subjects []string
	for range 40 {
		r := storetest.NewRecord(storetest.NewSubject(), nil)
		_, _, err := a.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)
		_, _, err = a.Erase(ctx, r.Subject, storetest.Seal(now, nil))
		require.NoError(t, err)
		subjects = append(subjects, r.Subject)
	}
	require.NoError(t, b.Hold(ctx, receipt.Hold{Subject: subjects[7], Reason: "audit", By: "officer"}))

	var results [2]receipt.PurgeResult
	var wg sync.WaitGroup
	for i, db := range []*postgres.DB{a, b} {
		wg.Go(func() {
			// Each node keeps trying until it is not Busy, as the
			// schedule would at its next tick.
			for {
				res, err := db.Purge(ctx, receipt.PurgeOptions{Cutoff: now, Batch: 3})
				assert.NoError(t, err)
				results[i].Subjects += res.Subjects
				results[i].Receipts += res.Receipts
				if !res.Busy || err != nil {
					results[i].Held = res.Held
					return
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 39, results[0].Subjects+results[1].Subjects, "each chain purged once")
	assert.Equal(t, 39, results[0].Receipts+results[1].Receipts)
	held, err := a.Subject(ctx, subjects[7])
	require.NoError(t, err)
	assert.False(t, held[0].IsTombstone(), "the hold is kept")
}

const purgeCrashEnv = "CONSENT_STORE_PURGE_CRASH_POSTGRES"

var purgeCrashBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestPurgeCrash kills a purging client midway and checks that no chain
// is left half deleted, and that the next purge finishes the work.
func TestPurgeCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dsn := pgtest.SchemaDSN(t)
	storetest.PurgeCrashSetup(t, open(t, dsn), purgeCrashBase)
	storetest.PurgeCrash(t, "TestPurgeCrashChild", []string{purgeCrashEnv + "=" + dsn}, 30, purgeCrashBase,
		func(t *testing.T) storetest.RetentionStore { return open(t, dsn) })
}

// TestPurgeCrashChild is the purge TestPurgeCrash kills.
func TestPurgeCrashChild(t *testing.T) {
	dsn := os.Getenv(purgeCrashEnv)
	if dsn == "" {
		t.Skip("runs only as the child of TestPurgeCrash")
	}
	db, err := postgres.Open(context.Background(), dsn)
	require.NoError(t, err)
	storetest.PurgeBurst(t, db, purgeCrashBase)
}

// BenchmarkPurge: KAICONN_PURGE_N=1000000 go test ./store/postgres -run '^$' -bench Purge -benchtime 1x
func BenchmarkPurge(b *testing.B) {
	storetest.BenchmarkPurge(b, func(b *testing.B) storetest.RetentionStore {
		db, err := postgres.Open(context.Background(), pgtest.SchemaDSN(b))
		require.NoError(b, err)
		return db
	})
}
