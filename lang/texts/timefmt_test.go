package texts

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// timeVectors is testdata/scripts/time.json, which the node:test unit
// tests of web/static/parts/time.js read too (e2e/js): the page's script
// and the server show one time in one way.
type timeVectors struct {
	Formats map[string]TimeFormat `json:"formats"`
	Cases   []struct {
		Name, At, Lang, Text string
	} `json:"cases"`
}

func TestTimeVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "scripts", "time.json"))
	require.NoError(t, err)
	var v timeVectors
	require.NoError(t, json.Unmarshal(raw, &v))
	langs := []string{ZhHans, En}
	require.Len(t, v.Formats, len(langs), "a format for every language")
	for _, l := range langs {
		t.Run("Format/"+l, func(t *testing.T) {
			assert.Equal(t, v.Formats[l], TimeFormatOf(l), "the page carries what the rule says")
			var carried TimeFormat
			require.NoError(t, json.Unmarshal([]byte(TimeFormatJSON(l)), &carried))
			assert.Equal(t, v.Formats[l], carried)
			_, offset := time.Unix(0, 0).In(ReaderZone(l)).Zone()
			assert.Equal(t, offset, carried.Offset, "the zone ReaderZone picks")
		})
	}
	require.NotEmpty(t, v.Cases)
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			at, err := time.Parse(time.RFC3339Nano, c.At)
			require.NoError(t, err)
			assert.Equal(t, c.Text, FormatTime(at, c.Lang))
			assert.Equal(t, c.Text, FormatTime(at.In(time.FixedZone("EST", -5*3600)), c.Lang), "whatever zone the time came in")
		})
	}
}
