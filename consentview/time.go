package consentview

import (
	"time"

	"github.com/kaiconn/consent/lang/texts"
)

// Times on the gate and the settings travel as RFC 3339 instants and are
// shown by the product's one rule (texts.FormatTime): in a zone picked by
// language and named, whatever the device's own zone.

// LocalTime shows the RFC 3339 instant at to a reader of l
// (texts.FormatTime): "2026年11月29日 20:30（北京时间）" or "29 Nov 2026,
// 12:30 UTC". It returns "" when at is not RFC 3339.
func LocalTime(at, l string) string {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return ""
	}
	return texts.FormatTime(t, l)
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
