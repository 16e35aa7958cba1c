package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
)

// An export taken after a purge: a chain whose bodies are gone (two
// tombstones) beside a whole one, which still verifies receipt by receipt.
func TestExportAfterPurge(t *testing.T) {
	jwks := fixture("jwks.json")
	var h receipt.History
	require.NoError(t, readJSON(fixture("history.json"), &h))
	purged := time.Date(2029, 12, 1, 0, 0, 0, 0, time.UTC)
	tomb := func(id, hash, prev string) receipt.Countersigned {
		return receipt.Countersigned{ID: id, Hash: hash, PrevHash: prev, KeyID: "k", ReceivedAt: purged.Add(-time.Hour),
			Tombstone: &receipt.Tombstone{Ended: receipt.EndErased, PurgedAt: purged}}
	}
	const h1, h2 = "1111111111111111111111111111111111111111111111111111111111111111", "2222222222222222222222222222222222222222222222222222222222222222"
	write := func(t *testing.T, lines ...receipt.Countersigned) string {
		var b bytes.Buffer
		for _, c := range lines {
			require.NoError(t, json.NewEncoder(&b).Encode(c))
		}
		path := filepath.Join(t.TempDir(), "export.ndjson")
		require.NoError(t, os.WriteFile(path, b.Bytes(), 0o600))
		return path
	}
	for _, tt := range []struct {
		name   string
		lines  []receipt.Countersigned
		code   int
		output string
	}{
		{"OK", []receipt.Countersigned{tomb("a", h1, ""), h.Receipts[0], tomb("b", h2, h1), h.Receipts[1], h.Receipts[2]}, 0,
			"OK: export of 5 lines: 3 receipts verified"},
		{"ErrTombstoneLinksNowhere", []receipt.Countersigned{tomb("b", h2, h1), h.Receipts[0]}, 1, "line 1: chain broken"},
		{"ErrFork", []receipt.Countersigned{tomb("a", h1, ""), tomb("b", h2, h1), tomb("c", "33", h1)}, 1, "line 3: chain forked"},
		{"ErrReceiptAfterMissingLine", []receipt.Countersigned{h.Receipts[1]}, 1, "line 1: chain broken"},
		{"ErrTombstoneWithEnvelope", []receipt.Countersigned{func() receipt.Countersigned {
			c := tomb("a", h1, "")
			c.Envelope = h.Receipts[0].Envelope
			return c
		}()}, 1, "a tombstone keeps its id and hash and nothing else"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"-jwks", jwks, "-export", write(t, tt.lines...)}, &stdout, &stderr)
			assert.Equal(t, tt.code, code, stderr.String())
			assert.Contains(t, stdout.String()+stderr.String(), tt.output)
		})
	}

	t.Run("ChainOfTombstones", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "history.json")
		b, err := json.Marshal(receipt.History{Receipts: []receipt.Countersigned{tomb("a", h1, ""), tomb("b", h2, h1)}})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, b, 0o600))
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, run([]string{"-jwks", jwks, "-chain", path}, &stdout, &stderr), stderr.String())
		assert.Contains(t, stdout.String(), "2 tombstones")
		assert.Contains(t, stdout.String(), "OK: 0 receipts")
	})
}
