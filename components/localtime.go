package components

import (
	"time"

	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/views/settingsview"
)

// Times on /settings/privacy travel as RFC 3339 instants and are shown in
// the reader's zone. The server cannot know that zone, so one rule picks it
// by language and names it (texts.TimeFormatOf): the server, the wasm and
// the gate's script all show a time by that rule, whatever the device's
// zone.

// ReaderZone is the zone the server shows times in for a reader of l
// (texts.ReaderZone, the one rule): Beijing time for Chinese readers, UTC
// otherwise.
func ReaderZone(l string) *time.Location { return texts.ReaderZone(l) }

// LocalTime shows the RFC 3339 instant at to a reader of l, in ReaderZone(l)
// and naming it (consentview.LocalTime, the one rule).
func LocalTime(at, l string) string { return consentview.LocalTime(at, l) }

// Instant is t as the settings view carries it (consentview.Instant).
func Instant(t time.Time) string { return consentview.Instant(t) }

// TimeMark and SplitAtTime are settingsview's, which renders a time inside
// a translated sentence; the names stay here for the tests that read the
// page's sentences.
const TimeMark = settingsview.TimeMark

// SplitAtTime is settingsview.SplitAtTime.
func SplitAtTime(sentence string) (before, after string) { return settingsview.SplitAtTime(sentence) }
