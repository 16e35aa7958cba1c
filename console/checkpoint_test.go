package console_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/receipt"
)

// chain appends e to log as a store does.
func chain(log []console.Entry, e console.Entry) []console.Entry {
	if len(log) == 0 {
		e.Chain(nil)
	} else {
		e.Chain(&log[len(log)-1])
	}
	return append(log, e)
}

// rehashed is log without entry i, numbered and hashed again from the
// start: what someone who can write the database makes of it.
func rehashed(log []console.Entry, drop ...int) []console.Entry {
	var out []console.Entry
	for i, e := range log {
		if contains(drop, i) {
			continue
		}
		out = chain(out, e)
	}
	return out
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// anchoredLog is n entries with a checkpoint after every tenth, signed by
// keys.
func anchoredLog(t *testing.T, keys *receipt.Keyring, n int) []console.Entry {
	t.Helper()
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var log []console.Entry
	for i := range n {
		log = chain(log, console.Entry{At: at.Add(time.Duration(i) * time.Second), Operator: "li.na", Role: console.Officer,
			Action: console.ActionViewSubject, Target: fmt.Sprintf("sub_%d", i), Outcome: console.OutcomeOK})
		if i%10 == 9 {
			cp, err := console.NewCheckpoint(log[len(log)-1], at, keys)
			require.NoError(t, err)
			log = chain(log, cp)
		}
	}
	return log
}

func TestAuditCheckpoints(t *testing.T) {
	keys, err := receipt.NewKeyring()
	require.NoError(t, err)
	log := anchoredLog(t, keys, 30)
	got, err := console.VerifyAnchored(log, keys.JWKS())
	require.NoError(t, err)
	assert.Equal(t, 3, got.Checkpoints)
	assert.Equal(t, int64(32), got.Through, "the third checkpoint anchors the thirtieth entry, the 32nd of the log")
	assert.Equal(t, []string{keys.KeyID()}, got.KeyIDs)

	other, err := receipt.NewKeyring()
	require.NoError(t, err)
	for _, tt := range []struct {
		name string
		log  []console.Entry
		jwks []byte
		want string
	}{
		// The attack the plain chain cannot see: an entry deleted and
		// every hash after it recomputed.
		{"ErrDeletedAndRehashed", rehashed(log, 4), keys.JWKS(), "audit[9]: checkpoint names entry 10, which is not before it: entries before it were removed"},
		{"ErrDeletedWithItsCheckpointAndRehashed", rehashed(log, 4, 10), keys.JWKS(), "audit[19]: checkpoint names entry 21, which is not before it"},
		// Deleted, and another entry put in its place to keep the numbers.
		{"ErrReplacedAndRehashed", func() []console.Entry {
			l := append([]console.Entry(nil), log...)
			l[4] = console.Entry{At: l[4].At, Operator: "li.na", Role: console.Officer, Action: console.ActionViewInsights, Outcome: console.OutcomeOK}
			return rehashed(l)
		}(), keys.JWKS(), "audit[10]: checkpoint: entry 10 has another hash than the one the server signed"},
		{"ErrChangedAndRehashed", func() []console.Entry {
			l := append([]console.Entry(nil), log...)
			l[4].Target = "sub_someone_else"
			return rehashed(l)
		}(), keys.JWKS(), "audit[10]: checkpoint: entry 10 has another hash"},
		// Deleting the checkpoints with it leaves the log unanchored.
		{"ErrCheckpointsDeletedToo", func() []console.Entry {
			long := anchoredLog(t, keys, console.MaxUnanchored+20)
			var drop []int
			for i, e := range long {
				if e.Action == console.ActionCheckpoint || i == 4 {
					drop = append(drop, i)
				}
			}
			return rehashed(long, drop...)
		}(), keys.JWKS(), "checkpoints were removed"},
		{"ErrSignedByAnotherKey", func() []console.Entry {
			l := append([]console.Entry(nil), log[:10]...)
			cp, err := console.NewCheckpoint(l[9], time.Now(), other)
			require.NoError(t, err)
			return chain(l, cp)
		}(), keys.JWKS(), "audit[10]: checkpoint of entry 10: countersignature: key"},
		{"ErrForgedTarget", func() []console.Entry {
			l := append([]console.Entry(nil), log[:11]...)
			l[10].Target = "10 " + l[9].Hash + " eyJhbGciOiJFZERTQSJ9..AAAA"
			return rehashed(l)
		}(), keys.JWKS(), "audit[10]: checkpoint of entry 10"},
		{"ErrTargetNotACheckpoint", func() []console.Entry {
			l := append([]console.Entry(nil), log[:11]...)
			l[10].Target = "nothing"
			return rehashed(l)
		}(), keys.JWKS(), "audit[10]: checkpoint: target is not"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, console.VerifyAudit(tt.log), "the hash chain alone sees nothing")
			_, err := console.VerifyAnchored(tt.log, tt.jwks)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
