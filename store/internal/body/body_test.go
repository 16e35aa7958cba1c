package body_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/internal/body"
	"github.com/kaiconn/consent/store/storetest"
)

func TestPackUnpack(t *testing.T) {
	random := make([]byte, 600)
	_, _ = rand.Read(random)
	v2 := storetest.RealisticRecord(storetest.NewDevice(), receipt.NewSubject(), nil).Body
	for _, tt := range []struct {
		name  string
		in    []byte
		codec int
	}{
		{"ReceiptV2", v2, body.Deflate1},
		{"Empty", []byte{}, body.Raw},
		{"Tiny", []byte(`{}`), body.Raw},
		{"Incompressible", random, body.Raw},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stored, codec := body.Pack(tt.in)
			assert.Equal(t, tt.codec, codec)
			got, err := body.Unpack(stored, codec)
			require.NoError(t, err)
			assert.Equal(t, tt.in, got)
		})
	}
}

func TestPackShrinksReceipts(t *testing.T) {
	// The point of the codec: a kaiconn-receipt/2 body is mostly structure
	// the dictionary already holds and hex, which DEFLATE halves.
	b := storetest.RealisticRecord(storetest.NewDevice(), receipt.NewSubject(), nil).Body
	stored, _ := body.Pack(b)
	assert.Less(t, len(stored), len(b)/2, "%d bytes packed to %d", len(b), len(stored))
}

func TestDictionaryFrozen(t *testing.T) {
	// Stored bodies depend on these bytes for ever: a new dictionary is a
	// new codec, never an edit of this one.
	sum := sha256.Sum256([]byte(body.Dictionary1))
	assert.Equal(t, "01b052633acaa7a10df313537325faf1ed50fbe5ec38b1bd115c49dffea021e0", hex.EncodeToString(sum[:]))
}

func TestUnpackErrors(t *testing.T) {
	stored, codec := body.Pack(storetest.RealisticRecord(storetest.NewDevice(), receipt.NewSubject(), nil).Body)
	require.Equal(t, body.Deflate1, codec)
	t.Run("ErrTruncated", func(t *testing.T) {
		_, err := body.Unpack(stored[:len(stored)/2], codec)
		assert.Error(t, err)
	})
	t.Run("ErrUnknownCodec", func(t *testing.T) {
		_, err := body.Unpack(stored, 7)
		assert.ErrorContains(t, err, "unknown codec 7")
	})
}

// Packing runs once per stored receipt, inside the request that stores it.
func BenchmarkPack(b *testing.B) {
	in := storetest.RealisticRecord(storetest.NewDevice(), receipt.NewSubject(), nil).Body
	var n int
	for b.Loop() {
		stored, _ := body.Pack(in)
		n = len(stored)
	}
	b.ReportMetric(float64(n), "bytes")
	b.ReportMetric(float64(len(in)), "in-bytes")
}

func BenchmarkUnpack(b *testing.B) {
	stored, codec := body.Pack(storetest.RealisticRecord(storetest.NewDevice(), receipt.NewSubject(), nil).Body)
	for b.Loop() {
		if _, err := body.Unpack(stored, codec); err != nil {
			b.Fatal(err)
		}
	}
}
