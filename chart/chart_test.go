package chart

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNiceScale(t *testing.T) {
	for _, tt := range []struct{ most, top, step int64 }{
		{0, 1, 1}, {1, 1, 1}, {4, 4, 1}, {7, 8, 2}, {12, 15, 5}, {87, 100, 20}, {1000, 1000, 200}, {123456, 150000, 50000},
	} {
		top, step := niceScale(tt.most)
		assert.Equal(t, tt.top, top, "top of %d", tt.most)
		assert.Equal(t, tt.step, step, "step of %d", tt.most)
		assert.LessOrEqual(t, top/step, int64(5))
	}
}

func TestColumns(t *testing.T) {
	agreed, declined := Series{Label: "agreed", Class: "kc-s1"}, Series{Label: "declined", Class: "kc-s2"}
	l := Columns{
		Categories: []string{"11-28", "11-29", "11-30"},
		Series:     []Series{agreed, declined},
		Values:     [][]int64{{3, 1}, {0, 0}, {4, 4}},
	}.Layout()
	require.False(t, l.Empty)
	require.Len(t, l.Bars, 4, "no bar for a zero")
	// The tallest column (8) reaches the top of an axis of 0..8.
	assert.Equal(t, "8", l.YTicks[len(l.YTicks)-1].Label)
	first, second := l.Bars[0], l.Bars[1]
	assert.Equal(t, "11-28, agreed: 3", first.Title)
	assert.InDelta(t, l.Bottom(), first.Y+first.H, 1e-9, "the first series sits on the axis")
	assert.InDelta(t, first.Y, second.Y+second.H, 1e-9, "the next one on top of it")
	assert.InDelta(t, 3*second.H, first.H, 1e-9, "heights are proportional")
	top := l.Bars[2]
	assert.InDelta(t, l.PlotH/2, top.H, 1e-9, "4 of 8")
	assert.Len(t, l.XTicks, 3)
	assert.Len(t, l.Legend, 2)

	t.Run("ManyDaysThinLabels", func(t *testing.T) {
		cats := make([]string, 30)
		vals := make([][]int64, 30)
		for i := range cats {
			cats[i], vals[i] = "d", []int64{1}
		}
		l := Columns{Categories: cats, Series: []Series{agreed}, Values: vals}.Layout()
		assert.LessOrEqual(t, len(l.XTicks), maxXLabels)
		assert.Len(t, l.Bars, 30)
	})
	t.Run("Empty", func(t *testing.T) {
		l := Columns{Categories: []string{"a"}, Series: []Series{agreed}, Values: [][]int64{{0}}}.Layout()
		assert.True(t, l.Empty)
		assert.Empty(t, l.Bars)
	})
}

func TestShares(t *testing.T) {
	given, refused := Series{Label: "given", Class: "kc-s1"}, Series{Label: "refused", Class: "kc-s2"}
	l := Shares{Categories: []string{"push", "location", "none"}, Series: []Series{given, refused},
		Values: [][]int64{{1, 3}, {2, 0}, {0, 0}}}.Layout()
	require.Len(t, l.Bars, 3)
	assert.InDelta(t, l.PlotW/4, l.Bars[0].W, 1e-9)
	assert.InDelta(t, l.PlotW, l.Bars[0].W+l.Bars[1].W, 1e-9, "a row fills the width")
	assert.Equal(t, "push, refused: 75.0% (3)", l.Bars[1].Title)
	assert.InDelta(t, l.PlotW, l.Bars[2].W, 1e-9)
	assert.Len(t, l.YTicks, 3)
	assert.Equal(t, "–", Percent(0, 0))
}
