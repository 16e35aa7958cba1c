package console

import (
	"sort"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang/texts"
)

// Day is a calendar day in China Standard Time (UTC+8, no daylight
// saving), counted from 1970-01-01: the days the insights are counted by.
// Kaiconn and its users are in China, so a day of decisions is a Chinese
// day; the stores count by it when a receipt is stored, so it is fixed.
type Day int32

// ZoneOffset is the offset of the insights' days from UTC, in seconds:
// Beijing time, defined once in package texts.
const ZoneOffset = texts.ChinaOffset

// Zone is the time zone of the insights' days.
var Zone = texts.ChinaTime

// DayOf returns the day t falls on.
func DayOf(t time.Time) Day {
	return Day((t.Unix() + ZoneOffset) / 86400)
}

// Start is the first instant of d.
func (d Day) Start() time.Time { return time.Unix(int64(d)*86400-ZoneOffset, 0).In(Zone) }

// String is d as YYYY-MM-DD.
func (d Day) String() string { return d.Start().Format(time.DateOnly) }

// ParseDay reads YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, Zone)
	if err != nil {
		return 0, errs.New(errs.Invalid, "day: %q is not a date (YYYY-MM-DD)", s)
	}
	return DayOf(t), nil
}

// MaxPeriod is the longest period the insights count at once.
const MaxPeriod = 366

// Filter chooses the receipts the insights count: decided From to To
// (both included), on Surface and in Language when they are not "".
type Filter struct {
	From, To Day
	Surface  string // first-launch | web-banner | settings | "" for all
	Language string // zh-Hans | en | "" for all
}

// Surfaces and Languages are the values a Filter accepts besides "".
var (
	Surfaces  = []string{"first-launch", "web-banner", "settings"}
	Languages = []string{"zh-Hans", "en"}
)

// Check refuses a filter the insights cannot answer.
func (f Filter) Check() error {
	switch {
	case f.To < f.From:
		return errs.New(errs.Invalid, "period: ends before it starts")
	case int(f.To-f.From) >= MaxPeriod:
		return errs.New(errs.Invalid, "period: at most %d days", MaxPeriod)
	case f.Surface != "" && !oneOf(f.Surface, Surfaces):
		return errs.New(errs.Invalid, "surface: %q is not one of %v", f.Surface, Surfaces)
	case f.Language != "" && !oneOf(f.Language, Languages):
		return errs.New(errs.Invalid, "language: %q is not one of %v", f.Language, Languages)
	}
	return nil
}

// Days is the number of days in the period.
func (f Filter) Days() int { return int(f.To-f.From) + 1 }

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// DecisionCount is how many decisions of a kind were made on a day.
type DecisionCount struct {
	Day      Day
	Decision string // agreed | declined | updated | withdrawn
	N        int64
}

// PurposeCount is how many receipts left a purpose in a state. Purpose
// ids are unique within an audience only ("analytics" is an SDK in the app
// and a cookie category on the web), so counts are per audience.
type PurposeCount struct {
	Audience string // app | web
	Purpose  string
	State    string // given | refused | withdrawn
	N        int64
}

// AudienceOf is the audience whose purposes a stored surface shows
// (consent.Surface.Audience): the web for the banner, the app for first
// launch and settings.
func AudienceOf(surface string) string { return consent.Surface(surface).Audience() }

// AudienceSQL is AudienceOf in SQL, over the column that holds a record's
// surface, for the stores that count in the database: built from the same
// rule, so that no store spells it again.
func AudienceSQL(column string) string {
	return "(CASE WHEN " + column + " = '" + string(consent.SurfaceWebBanner) + "' THEN '" + consent.AudienceWeb +
		"' ELSE '" + consent.AudienceApp + "' END)"
}

// LatencyCount is how many decisions came Seconds (a bucket's lower bound,
// LatencyBucket) after the surface was shown.
type LatencyCount struct {
	Seconds int64
	N       int64
}

// ReaskCount is how many re-asks under a policy version ended in a
// decision; a re-ask is a receipt whose subject's previous receipt was
// given under an older policy version.
type ReaskCount struct {
	PolicyVersion string
	Decision      string
	N             int64
}

// ReaskPurposeCount is how many re-asks under a policy version left a
// purpose in a state.
type ReaskPurposeCount struct {
	PolicyVersion string
	Audience      string
	Purpose       string
	State         string
	N             int64
}

// LatencyBucket is the bucket a time to decision of s seconds is counted
// in: to the second under two minutes, then to 10 s, to the minute, to the
// hour, and everything from a day on together. Medians are exact to the
// bucket; fine buckets where decisions are, and few rows in the stores.
// The stores compute the same in SQL.
func LatencyBucket(s int64) int64 {
	switch {
	case s < 0:
		return 0
	case s < 120:
		return s
	case s < 600:
		return s - s%10
	case s < 3600:
		return s - s%60
	case s < 86400:
		return s - s%3600
	}
	return 86400
}

// Quantile returns the bucket (its lower bound, in seconds) that holds the
// q-th quantile (0 < q < 1) of the counted times, and false when nothing
// was counted.
func Quantile(counts []LatencyCount, q float64) (int64, bool) {
	sorted := append([]LatencyCount(nil), counts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Seconds < sorted[j].Seconds })
	var total int64
	for _, c := range sorted {
		total += c.N
	}
	if total == 0 {
		return 0, false
	}
	// The rank of the quantile among total values, 1-based: the median
	// of 4 values is the 2nd, of 5 the 3rd.
	rank := int64(q*float64(total-1)) + 1
	var seen int64
	for _, c := range sorted {
		seen += c.N
		if seen >= rank {
			return c.Seconds, true
		}
	}
	return sorted[len(sorted)-1].Seconds, true
}
