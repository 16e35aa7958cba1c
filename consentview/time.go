package consentview

import (
	"strconv"
	"time"

	"github.com/kaiconn/consent/lang/texts"
)

// Times on the gate and the settings travel as RFC 3339 instants and are
// shown in the reader's zone. The server cannot know that zone, so it picks
// one by language (texts.ReaderZone) and names it; /static/settings.js then
// shows the same instant in the browser's own zone when the browser names
// one, in the same shape.

var shortMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// LocalTime shows the RFC 3339 instant at to a reader of l, in
// texts.ReaderZone(l) and naming it: "2026年11月29日 20:30（北京时间）" or
// "29 Nov 2026, 12:30 UTC". It returns "" when at is not RFC 3339.
func LocalTime(at, l string) string {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return ""
	}
	t = t.In(texts.ReaderZone(l))
	hm := t.Format("15:04")
	if l == "zh-Hans" {
		return strconv.Itoa(t.Year()) + "年" + strconv.Itoa(int(t.Month())) + "月" + strconv.Itoa(t.Day()) + "日 " + hm + "（北京时间）"
	}
	return strconv.Itoa(t.Day()) + " " + shortMonths[t.Month()-1] + " " + strconv.Itoa(t.Year()) + ", " + hm + " UTC"
}

// Instant is t as the views carry it: RFC 3339 in UTC, to the second; ""
// for the zero time.
func Instant(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// decidedAt is a decision's time as the gate shows it: LocalTime of the
// instant, "" when unknown.
func decidedAt(t time.Time, l string) string {
	if t.IsZero() {
		return ""
	}
	return LocalTime(Instant(t), l)
}
