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

// ReaderZone is the one rule for the zone a time is shown in to a reader of
// l: Beijing time for Chinese readers, UTC otherwise. The server cannot know
// a reader's zone; a rule by language, with the zone named, is never wrong.
func ReaderZone(l string) *time.Location {
	if l == ZhHans {
		return ChinaTime
	}
	return time.UTC
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
