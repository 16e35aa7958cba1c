package texts

import (
	"fmt"
	"strconv"
	"time"
)

// ChinaOffset is Beijing time's offset from UTC, in seconds. China has kept
// UTC+8 without daylight saving since 1991, so a fixed zone is exact for
// every decision this product can hold, and neither the server nor the
// wasm needs a zone database.
const ChinaOffset = 8 * 60 * 60

// ChinaTime is Beijing time (Asia/Shanghai): the one definition the gate,
// the settings page, the wasm and the console's days use.
var ChinaTime = time.FixedZone("CST", ChinaOffset)

// ChinaZoneID is ChinaTime's IANA name, for a script that formats a time in
// the browser (gate.js).
const ChinaZoneID = "Asia/Shanghai"

// ReaderZone is the one rule for the zone a time is shown in to a reader of
// l: Beijing time for Chinese readers, UTC otherwise. The server cannot know
// a reader's zone; a rule by language, with the zone named, is never wrong.
func ReaderZone(l string) *time.Location {
	if l == ZhHans {
		return ChinaTime
	}
	return time.UTC
}

var shortMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// FormatTime is the product's one way to write a time for a reader of l:
// in zone, which it names, as "2026年11月29日 20:30（北京时间）" or
// "29 Nov 2026, 12:30 UTC" ("29 Nov 2026, 20:30 UTC+8" for an English
// reader in Beijing time), to the second when seconds. The reader's pages
// take zone from ReaderZone; the console takes Beijing time, the zone its
// days are counted in. Either way the zone is said, so that two pages that
// show one instant in two zones never seem to disagree about the date.
func FormatTime(t time.Time, l string, zone *time.Location, seconds bool) string {
	t = t.In(zone)
	clock := t.Format("15:04")
	if seconds {
		clock = t.Format("15:04:05")
	}
	_, offset := t.Zone()
	if l == ZhHans {
		name := "（北京时间）"
		if offset != ChinaOffset {
			name = "（" + zoneName(offset) + "）"
		}
		return strconv.Itoa(t.Year()) + "年" + strconv.Itoa(int(t.Month())) + "月" + strconv.Itoa(t.Day()) + "日 " + clock + name
	}
	return strconv.Itoa(t.Day()) + " " + shortMonths[t.Month()-1] + " " + strconv.Itoa(t.Year()) + ", " + clock + " " + zoneName(offset)
}

// zoneName names a zone by its offset: UTC, UTC+8, UTC-5:30.
func zoneName(offset int) string {
	if offset == 0 {
		return "UTC"
	}
	sign := "+"
	if offset < 0 {
		sign, offset = "-", -offset
	}
	name := "UTC" + sign + strconv.Itoa(offset/3600)
	if m := offset % 3600 / 60; m != 0 {
		name += fmt.Sprintf(":%02d", m)
	}
	return name
}
