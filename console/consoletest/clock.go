package consoletest

import (
	"time"

	"github.com/kaiconn/consent/console"
)

// Noon is the instant the console's tests and screenshots seed the data
// set at and read the console at: noon, China Standard Time, on the day
// before real. A test that seeded at the real time and read a page a
// moment later would see two different days when the moment straddles
// midnight in Beijing (16:00 UTC); noon is twelve hours from either
// midnight, and the day before keeps every receipt in the past of the
// real clock, which the parts of the server outside the console read.
func Noon(real time.Time) time.Time {
	return (console.DayOf(real) - 1).Start().Add(12 * time.Hour)
}
