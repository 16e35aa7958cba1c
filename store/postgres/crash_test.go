package postgres_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/pgtest"
	"github.com/kaiconn/consent/store/postgres"
	"github.com/kaiconn/consent/store/storetest"
)

// crashEnv carries the database the crash child writes to; without it the
// child test has nothing to do.
const crashEnv = "CONSENT_STORE_CRASH_POSTGRES"

// TestCrash kills a client mid-burst and checks, through a fresh
// connection, that every receipt it had acknowledged was committed, with
// every chain intact.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dsn := pgtest.SchemaDSN(t)
	storetest.Crash(t, "TestCrashChild", []string{crashEnv + "=" + dsn}, 60, func(t *testing.T) receipt.Store {
		return open(t, dsn)
	})
}

// TestCrashChild is the client TestCrash kills; it runs only as its child.
func TestCrashChild(t *testing.T) {
	dsn := os.Getenv(crashEnv)
	if dsn == "" {
		t.Skip("runs only as the child of TestCrash")
	}
	db, err := postgres.Open(context.Background(), dsn)
	require.NoError(t, err)
	storetest.Burst(t, db)
}

func BenchmarkPut(b *testing.B) {
	db, err := postgres.Open(context.Background(), pgtest.SchemaDSN(b))
	require.NoError(b, err)
	defer db.Close()
	storetest.BenchmarkPut(b, db)
}

func BenchmarkPutParallel(b *testing.B) {
	db, err := postgres.Open(context.Background(), pgtest.SchemaDSN(b))
	require.NoError(b, err)
	defer db.Close()
	storetest.BenchmarkPutParallel(b, db)
}
