package chart

import (
	"fmt"
	"math"
	"strconv"
)

// Series is one kind of value the bars stack, e.g. "agreed".
type Series struct {
	Label string
	// Class names its colour in the stylesheet (kc-s1 … kc-s6), so that
	// the same series has the same colour in every chart.
	Class string
}

// Rect is a bar, in SVG user units, with what a screen reader or a hover
// says of it.
type Rect struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

// Tick is a labelled mark on an axis, at X (for the x axis) or Y.
type Tick struct {
	X, Y  float64
	Label string
}

// Legend is one entry of a chart's legend.
type Legend struct {
	X, Y  float64
	Class string
	Label string
}

// Layout is a chart laid out in a Width × Height box: the plot area, the
// bars, the ticks of both axes, the axis titles and the legend.
type Layout struct {
	Width, Height           float64
	Left, Top, PlotW, PlotH float64
	Bars                    []Rect
	XTicks, YTicks          []Tick
	XTitle, YTitle          string
	Legend                  []Legend
	// Empty is true when there is nothing to draw.
	Empty bool
}

// Bottom and Right are the edges of the plot area.
func (l Layout) Bottom() float64 { return l.Top + l.PlotH }
func (l Layout) Right() float64  { return l.Left + l.PlotW }

// Num writes a coordinate for an SVG attribute: short, no exponent.
func Num(f float64) string { return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64) }

// Columns lays out stacked columns: one per category, the series stacked
// in order, with a y axis of counts from zero.
type Columns struct {
	Categories []string
	Series     []Series
	// Values[i][j] is series j in category i.
	Values         [][]int64
	XTitle, YTitle string
	// Format writes a count for a tick or a title; strconv when nil.
	Format func(int64) string
}

// Geometry of every chart: room for the y labels on the left, the x
// labels and the legend below.
const (
	width       = 720.0
	height      = 300.0
	marginLeft  = 56.0
	marginRight = 12.0
	marginTop   = 12.0
	plotHeight  = 190.0
	maxXLabels  = 10
)

// Layout places the columns.
func (c Columns) Layout() Layout {
	format := c.Format
	if format == nil {
		format = func(n int64) string { return strconv.FormatInt(n, 10) }
	}
	l := Layout{Width: width, Height: height, Left: marginLeft, Top: marginTop, PlotW: width - marginLeft - marginRight,
		PlotH: plotHeight, XTitle: c.XTitle, YTitle: c.YTitle}
	var most int64
	for _, row := range c.Values {
		var sum int64
		for _, v := range row {
			sum += v
		}
		most = max(most, sum)
	}
	l.Empty = most == 0
	top, step := niceScale(most)
	for v := int64(0); v <= top; v += step {
		l.YTicks = append(l.YTicks, Tick{X: l.Left, Y: l.Bottom() - float64(v)/float64(top)*l.PlotH, Label: format(v)})
	}
	n := len(c.Categories)
	if n == 0 {
		return l
	}
	slot := l.PlotW / float64(n)
	barW := math.Max(1, slot*0.7)
	every := (n + maxXLabels - 1) / maxXLabels
	for i, cat := range c.Categories {
		x := l.Left + float64(i)*slot + (slot-barW)/2
		y := l.Bottom()
		for j, s := range c.Series {
			if i >= len(c.Values) || j >= len(c.Values[i]) || c.Values[i][j] == 0 {
				continue
			}
			h := float64(c.Values[i][j]) / float64(top) * l.PlotH
			y -= h
			l.Bars = append(l.Bars, Rect{X: x, Y: y, W: barW, H: h, Class: s.Class,
				Title: fmt.Sprintf("%s, %s: %s", cat, s.Label, format(c.Values[i][j]))})
		}
		if i%every == 0 {
			l.XTicks = append(l.XTicks, Tick{X: x + barW/2, Y: l.Bottom(), Label: cat})
		}
	}
	l.Legend = legend(c.Series, l.Bottom()+48)
	return l
}

// Shares lays out one 100% row per category: each series' share of the
// row's total, on an x axis of percent.
type Shares struct {
	Categories []string
	Series     []Series
	// Values[i][j] is series j in category i.
	Values [][]int64
	XTitle string
}

// rowHeight is the height of one row of a Shares chart.
const rowHeight = 28.0

// Layout places the rows: the chart grows with the categories.
func (c Shares) Layout() Layout {
	labelW := 130.0
	l := Layout{Width: width, Left: labelW, Top: marginTop, PlotW: width - labelW - marginRight, XTitle: c.XTitle}
	l.PlotH = rowHeight * float64(len(c.Categories))
	l.Height = l.Top + l.PlotH + 80
	l.Empty = true
	for p := 0; p <= 100; p += 25 {
		l.XTicks = append(l.XTicks, Tick{X: l.Left + float64(p)/100*l.PlotW, Y: l.Bottom(), Label: strconv.Itoa(p) + "%"})
	}
	for i, cat := range c.Categories {
		y := l.Top + float64(i)*rowHeight + 4
		l.YTicks = append(l.YTicks, Tick{X: l.Left, Y: y + (rowHeight-8)/2, Label: cat})
		var total int64
		for _, v := range c.Values[i] {
			total += v
		}
		if total == 0 {
			continue
		}
		l.Empty = false
		x := l.Left
		for j, s := range c.Series {
			v := c.Values[i][j]
			if v == 0 {
				continue
			}
			w := float64(v) / float64(total) * l.PlotW
			l.Bars = append(l.Bars, Rect{X: x, Y: y, W: w, H: rowHeight - 8, Class: s.Class,
				Title: fmt.Sprintf("%s, %s: %s (%d)", cat, s.Label, Percent(v, total), v)})
			x += w
		}
	}
	l.Legend = legend(c.Series, l.Bottom()+48)
	return l
}

// legend places the legend entries in a row at y.
func legend(series []Series, y float64) []Legend {
	var out []Legend
	x := marginLeft
	for _, s := range series {
		out = append(out, Legend{X: x, Y: y, Class: s.Class, Label: s.Label})
		// Room for the swatch and a label of average length; CJK labels
		// are shorter in characters and wider per character.
		x += 24 + 8*float64(max(len([]rune(s.Label))*2, 10))
	}
	return out
}

// Percent is v of total as a percentage with one decimal, "–" of nothing.
func Percent(v, total int64) string {
	if total == 0 {
		return "–"
	}
	return strconv.FormatFloat(float64(v)*100/float64(total), 'f', 1, 64) + "%"
}

// niceScale returns the top of a y axis that holds most, and a step of
// 1, 2 or 5 times a power of ten that divides it into at most five.
func niceScale(most int64) (top, step int64) {
	if most <= 0 {
		return 1, 1
	}
	raw := float64(most) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = int64(mag)
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = int64(m * mag)
			break
		}
	}
	step = max(step, 1)
	top = (most + step - 1) / step * step
	return top, step
}
