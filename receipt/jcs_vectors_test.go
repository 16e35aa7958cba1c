package receipt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/gowebpki/jcs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jcsVectors is testdata/scripts/jcs.json, which the node:test unit tests
// of the device outbox's canonical JSON read too
// (web/static/parts/canonical.js, e2e/js): a receipt the browser signs is
// canonicalised as the server canonicalises it.
type jcsVectors struct {
	Cases []struct {
		Name      string          `json:"name"`
		Value     json.RawMessage `json:"value"`
		Canonical string          `json:"canonical"`
	} `json:"cases"`
}

func TestJCSVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "scripts", "jcs.json"))
	require.NoError(t, err)
	var v jcsVectors
	require.NoError(t, json.Unmarshal(raw, &v))
	require.NotEmpty(t, v.Cases)
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			got, err := jcs.Transform(c.Value)
			require.NoError(t, err)
			assert.Equal(t, c.Canonical, string(got), "the library notice and proof use")
			// Strings are where the receipt's own writer could part from
			// JCS: each string of an array of strings, written by it.
			var ss []string
			if json.Unmarshal(c.Value, &ss) == nil {
				var b []byte
				b = append(b, '[')
				for i, s := range ss {
					if i > 0 {
						b = append(b, ',')
					}
					b = appendString(b, s)
				}
				b = append(b, ']')
				assert.Equal(t, c.Canonical, string(b), "the receipt's writer")
			}
		})
	}
}
