package messages

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/BurntSushi/toml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// halfWidthByCJK is ASCII , : ; ( ) ! ? with a CJK character (Han, CJK
// punctuation or a full-width form) on either side. Chinese text takes the
// full-width forms ，：；（）！？, which sit on the character grid; the ASCII
// ones look cramped and break the line in the wrong places.
var halfWidthByCJK = regexp.MustCompile(`[\p{Han}\x{3000}-\x{303F}\x{FF00}-\x{FFEF}][,:;()!?]|[,:;()!?][\p{Han}\x{3000}-\x{303F}\x{FF00}-\x{FFEF}]`)

// Every Chinese UI string uses full-width punctuation next to Chinese text.
func TestChinesePunctuation(t *testing.T) {
	files, err := fs.Glob(FS, "*.zh-Hans.toml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			var msgs map[string]any
			data, err := fs.ReadFile(FS, name)
			require.NoError(t, err)
			require.NoError(t, toml.Unmarshal(data, &msgs))
			for id, v := range msgs {
				for _, text := range texts(v) {
					for _, m := range halfWidthByCJK.FindAllString(text, -1) {
						assert.Failf(t, "half-width punctuation in Chinese text", "%s: %q in %q", id, m, text)
					}
				}
			}
		})
	}
}

// texts returns the texts of a message: a plain string, or the values of
// a table (one=, other=).
func texts(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for _, x := range v {
			out = append(out, texts(x)...)
		}
		return out
	}
	return nil
}

// The check itself: it catches what it must and passes what it must.
func TestHalfWidthByCJK(t *testing.T) {
	for _, tt := range []struct {
		name, text string
		bad        bool
	}{
		{"comma after Han", "第三方SDK,均需", true},
		{"colon before Han", "日期:2022", true},
		{"parenthesis around Latin inside Han", "控制(GPC)信号", true},
		{"question mark", "确定吗?", true},
		{"full-width forms", "第三方SDK，均需（GPC）：好吗？", false},
		{"ASCII between Latin", "Android ID, IMEI (x): ok?", false},
		{"a template", "更新日期：{{.Date}}", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.bad, halfWidthByCJK.MatchString(tt.text))
		})
	}
}
