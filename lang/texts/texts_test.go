package texts

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFill(t *testing.T) {
	values := map[string]string{"Count": "3", "Date": "2026-11-29"}
	value := func(n string) (string, bool) { v, ok := values[n]; return v, ok }
	for _, tc := range []struct {
		name, in, want string
	}{
		{"None", "no placeholder", "no placeholder"},
		{"One", "{{.Count}} hits", "3 hits"},
		{"Spaces", "on {{ .Date }}.", "on 2026-11-29."},
		{"Two", "{{.Count}} · {{.Date}}", "3 · 2026-11-29"},
		{"UnknownKept", "{{.Other}} and {{.Count}}", "{{.Other}} and 3"},
		{"NotAPlaceholder", "{{Count}} {{.1x}} {{.Count", "{{Count}} {{.1x}} {{.Count"},
		{"Chinese", "共 {{.Count}} 项", "共 3 项"},
	} {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, Fill(tc.in, value)) })
	}
}

func TestPlaceholders(t *testing.T) {
	assert.True(t, Placeholders("plain"))
	assert.True(t, Placeholders("{{.A}} and {{ .B2 }}"))
	assert.False(t, Placeholders("{{if .A}}x{{end}}"))
	assert.False(t, Placeholders("{{.A | printf}}"))
	assert.False(t, Placeholders("closing }} alone"))
}

func TestLocalizer(t *testing.T) {
	l := New(ZhHans, map[string]string{"a_count": "共 {{.Count}} 项", "a_plain": "是", "b_x": "x"})
	assert.Equal(t, "共 5 项", l.T("a_count", map[string]int{"Count": 5}))
	assert.Equal(t, "共 5 项", l.T("a_count", map[string]any{"Count": 5}))
	assert.Equal(t, "是", l.T("a_plain"))
	assert.Equal(t, "missing_id", l.T("missing_id"), "a missing message shows its id")
	assert.Equal(t, map[string]string{"a_count": "共 {{.Count}} 项", "a_plain": "是"}, l.Messages("a_"))
	assert.Len(t, l.Messages(), 3)
	assert.True(t, l.Has("b_x"))
	assert.False(t, l.Has("b_y"))
}

func TestOther(t *testing.T) {
	assert.Equal(t, En, Other(ZhHans))
	assert.Equal(t, ZhHans, Other(En))
}
