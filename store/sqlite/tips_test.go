package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/sqlite"
	"github.com/kaiconn/consent/store/storetest"
)

// TestTipsAgreeWithTheFile holds what the store answers from memory after a
// write equal to what it reads from the file: every kind of record, the
// newest of a chain, and the subject of an enrolled key.
func TestTipsAgreeWithTheFile(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "kaiconn.db"))

	type chain struct{ subject, key string }
	var chains []chain

	// A device chain: first receipt enrols the key, then two more.
	device := storetest.NewDevice()
	subject := receipt.NewSubject()
	var prev *receipt.Record
	for range 3 {
		r := storetest.RealisticRecord(device, subject, prev)
		stored, created, err := db.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)
		require.True(t, created)
		prev = &stored
	}
	chains = append(chains, chain{subject, prev.DeviceKey})

	// A server-attested chain with states and times in another zone,
	// ending on a settings decision.
	attested := storetest.NewSubject()
	first, _, err := db.Put(ctx, storetest.NewRecord(attested, nil), receipt.PutOptions{})
	require.NoError(t, err)
	second := storetest.NewRecord(attested, &first)
	second.Surface, second.States = receipt.SurfaceSettings, map[string]string{"necessary": receipt.StateGiven, "analytics": receipt.StateWithdrawn}
	_, _, err = db.Put(ctx, second, receipt.PutOptions{})
	require.NoError(t, err)
	chains = append(chains, chain{attested, storetest.NewKey()})

	// A key enrolled by statement rather than by a receipt.
	key := storetest.NewKey()
	require.NoError(t, db.Enroll(ctx, attested, key, "statement:test"))
	chains = append(chains, chain{attested, key})

	for _, c := range chains {
		tip, err := db.Tip(ctx, c.subject)
		require.NoError(t, err)
		facts, err := db.ChainFacts(ctx, c.subject, c.key)
		require.NoError(t, err)

		sqlite.ForgetTips(db)
		fileTip, err := db.Tip(ctx, c.subject)
		require.NoError(t, err)
		fileFacts, err := db.ChainFacts(ctx, c.subject, c.key)
		require.NoError(t, err)

		assert.Equal(t, fileTip, tip, "Tip of %s", c.subject)
		assert.Equal(t, fileFacts, facts, "ChainFacts of %s", c.subject)
		// And once more, now that the read may have been remembered.
		again, err := db.Tip(ctx, c.subject)
		require.NoError(t, err)
		assert.Equal(t, fileTip, again)
	}
}

// TestTipsAreCopies holds that changing what Tip or ChainFacts returned
// changes nothing the store answers next.
func TestTipsAreCopies(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "kaiconn.db"))
	subject := storetest.NewSubject()
	r := storetest.NewRecord(subject, nil)
	r.States = map[string]string{"analytics": receipt.StateGiven}
	_, _, err := db.Put(ctx, r, receipt.PutOptions{})
	require.NoError(t, err)

	tip, err := db.Tip(ctx, subject)
	require.NoError(t, err)
	tip.States["analytics"] = receipt.StateWithdrawn
	again, err := db.Tip(ctx, subject)
	require.NoError(t, err)
	assert.Equal(t, receipt.StateGiven, again.States["analytics"])
}
