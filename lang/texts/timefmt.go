package texts

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// TimeFormat is how a time is shown to a reader of one language: the zone
// ReaderZone picks, as a fixed offset (both zones it picks keep one all
// year), and a layout whose fields are filled from the time in that zone.
// The server and the wasm format with it (FormatTime); a page that must
// show a time only the browser knows (the gate's moment of decision)
// carries it as JSON (TimeFormatJSON) for web/static/parts/time.js, so the
// rule is written once, here. Fields: {Y} year, {M} month 1–12, {Mon} the
// month's name from Months, {D} day of the month, {hh} hour 00–23, {mm}
// minute 00–59.
type TimeFormat struct {
	Offset int      `json:"offset"` // seconds east of UTC
	Layout string   `json:"layout"`
	Months []string `json:"months,omitempty"` // January first; only when Layout has {Mon}
}

var shortMonths = []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// TimeFormatOf is the format of times shown to a reader of l: Beijing time
// in Chinese ("2026年11月29日 20:30（北京时间）"), UTC in English ("29 Nov
// 2026, 12:30 UTC"), the zone always named.
func TimeFormatOf(l string) TimeFormat {
	_, offset := time.Unix(0, 0).In(ReaderZone(l)).Zone()
	return timeFormat(l, offset, false)
}

// timeFormat is the one layout rule: the date as a reader of l writes it,
// the clock, and the zone named by its offset. Chinese names Beijing time
// as readers know it (北京时间) and any other zone by its offset; English
// names every zone by its offset ("29 Nov 2026, 20:30 UTC+8").
func timeFormat(l string, offset int, seconds bool) TimeFormat {
	clock := "{hh}:{mm}"
	if seconds {
		clock += ":{ss}"
	}
	if l == ZhHans {
		name := "（北京时间）"
		if offset != ChinaOffset {
			name = "（" + zoneName(offset) + "）"
		}
		return TimeFormat{Offset: offset, Layout: "{Y}年{M}月{D}日 " + clock + name}
	}
	return TimeFormat{Offset: offset, Layout: "{D} {Mon} {Y}, " + clock + " " + zoneName(offset), Months: shortMonths}
}

// TimeFormatJSON is TimeFormatOf(l) as the JSON a page carries.
func TimeFormatJSON(l string) string {
	b, _ := json.Marshal(TimeFormatOf(l))
	return string(b)
}

// FormatTime shows t to a reader of l on the reader's pages (TimeFormatOf).
func FormatTime(t time.Time, l string) string {
	return FormatTimeIn(t, l, ReaderZone(l), false)
}

// FormatTimeIn is the product's one way to write a time: in zone, which it
// names, to the second when seconds. The reader's pages take the zone from
// ReaderZone (FormatTime); the console takes Beijing time, the zone its
// days are counted in. Either way the zone is said, so that two pages that
// show one instant in two zones never seem to disagree about the date.
func FormatTimeIn(t time.Time, l string, zone *time.Location, seconds bool) string {
	_, offset := t.In(zone).Zone()
	f := timeFormat(l, offset, seconds)
	t = t.In(time.FixedZone("", f.Offset))
	two := func(n int) string {
		if n < 10 {
			return "0" + strconv.Itoa(n)
		}
		return strconv.Itoa(n)
	}
	month := ""
	if len(f.Months) == 12 {
		month = f.Months[t.Month()-1]
	}
	return strings.NewReplacer(
		"{Y}", strconv.Itoa(t.Year()),
		"{Mon}", month,
		"{M}", strconv.Itoa(int(t.Month())),
		"{D}", strconv.Itoa(t.Day()),
		"{hh}", two(t.Hour()),
		"{mm}", two(t.Minute()),
		"{ss}", two(t.Second()),
	).Replace(f.Layout)
}
