package components

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The consent messages of testdata/scripts/bridge.json, which the node:test
// unit tests of web/static/parts/host.js post (e2e/js), are exactly a
// BridgeMessage: no member the type lacks, none it has missing, the
// version it speaks and its time format.
func TestBridgeVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "scripts", "bridge.json"))
	require.NoError(t, err)
	var v struct {
		Messages []struct {
			Name    string          `json:"name"`
			Message json.RawMessage `json:"message"`
		} `json:"messages"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	consents := 0
	for _, m := range v.Messages {
		var head struct{ Type string }
		require.NoError(t, json.Unmarshal(m.Message, &head))
		if head.Type != BridgeType {
			continue
		}
		consents++
		t.Run(m.Name, func(t *testing.T) {
			dec := json.NewDecoder(bytes.NewReader(m.Message))
			dec.DisallowUnknownFields()
			var msg BridgeMessage
			require.NoError(t, dec.Decode(&msg))
			again, err := json.Marshal(msg)
			require.NoError(t, err)
			assert.JSONEq(t, string(m.Message), string(again))
			assert.Equal(t, BridgeVersion, msg.V)
			at, err := time.Parse(BridgeTime, msg.At)
			require.NoError(t, err)
			assert.Equal(t, msg.At, at.UTC().Format(BridgeTime))
		})
	}
	assert.Positive(t, consents)
}
