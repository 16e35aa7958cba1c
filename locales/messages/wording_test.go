package messages

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One concept, one word: a consent receipt is 回执 in Chinese and "receipt"
// in English, on every surface (the gate said 回执编号, the settings page
// 凭证编号 for the same number). The other words a translator might reach for
// are listed here so that none comes back.
func TestOneWordForAReceipt(t *testing.T) {
	for _, tc := range []struct {
		glob   string
		others []string
	}{
		{"*.zh-Hans.toml", []string{"凭证", "凭据", "收据"}},
		{"*.en.toml", []string{"voucher", "certificate", "record of consent"}},
	} {
		files, err := fs.Glob(FS, tc.glob)
		require.NoError(t, err)
		for _, name := range files {
			t.Run(name, func(t *testing.T) {
				var msgs map[string]any
				data, err := fs.ReadFile(FS, name)
				require.NoError(t, err)
				require.NoError(t, toml.Unmarshal(data, &msgs))
				for id, v := range msgs {
					for _, text := range texts(v) {
						for _, w := range tc.others {
							assert.False(t, strings.Contains(strings.ToLower(text), w), "%s: %q says %q for a receipt", id, text, w)
						}
					}
				}
			})
		}
	}
}
