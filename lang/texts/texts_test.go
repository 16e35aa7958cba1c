package texts

import (
	"testing"
	"time"

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

// One format for every time the product shows, the zone always named, so
// that the console (Beijing time) and a reader's page (ReaderZone) that
// show one instant in two zones say so instead of seeming to disagree.
func TestFormatTime(t *testing.T) {
	at := time.Date(2026, 11, 29, 18, 5, 9, 0, time.UTC)
	for _, tt := range []struct {
		name    string
		l       string
		zone    *time.Location
		seconds bool
		want    string
	}{
		{"ZhBeijingNextDay", ZhHans, ChinaTime, false, "2026年11月30日 02:05（北京时间）"},
		{"ZhBeijingSeconds", ZhHans, ChinaTime, true, "2026年11月30日 02:05:09（北京时间）"},
		{"ZhUTC", ZhHans, time.UTC, false, "2026年11月29日 18:05（UTC）"},
		{"EnUTC", En, time.UTC, false, "29 Nov 2026, 18:05 UTC"},
		{"EnBeijingSeconds", En, ChinaTime, true, "30 Nov 2026, 02:05:09 UTC+8"},
		{"EnHalfHourZone", En, time.FixedZone("IST", 5*3600+1800), false, "29 Nov 2026, 23:35 UTC+5:30"},
		{"EnNegativeZone", En, time.FixedZone("EST", -5*3600), false, "29 Nov 2026, 13:05 UTC-5"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, FormatTimeIn(at, tt.l, tt.zone, tt.seconds))
		})
	}
}
