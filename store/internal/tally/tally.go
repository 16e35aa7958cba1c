package tally

import (
	"cmp"
	"slices"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/receipt"
)

// Decision is a row of the decisions' counts.
type Decision struct {
	Day                                        console.Day
	Surface, Language, PolicyVersion, Decision string
	Reask                                      bool
}

// Purpose is a row of the purposes' counts.
type Purpose struct {
	Day                              console.Day
	Surface, Language, PolicyVersion string
	Reask                            bool
	Purpose, State                   string
}

// Latency is a row of the times' counts: Seconds is a bucket
// (console.LatencyBucket).
type Latency struct {
	Day               console.Day
	Surface, Language string
	Seconds           int64
}

// Counts are what one transaction adds to the counts. The zero value is
// empty and ready.
type Counts struct {
	Decisions map[Decision]int64
	Purposes  map[Purpose]int64
	Latencies map[Latency]int64
}

// Add counts r, as stored: Reask already set by the store.
func (c *Counts) Add(r receipt.Record) {
	if c.Decisions == nil {
		c.Decisions, c.Purposes, c.Latencies = map[Decision]int64{}, map[Purpose]int64{}, map[Latency]int64{}
	}
	day := console.DayOf(r.IssuedAt)
	c.Decisions[Decision{day, r.Surface, r.Language, r.PolicyVersion, r.Decision, r.Reask}]++
	for p, s := range r.States {
		c.Purposes[Purpose{day, r.Surface, r.Language, r.PolicyVersion, r.Reask, p, s}]++
	}
	if !r.ShownAt.IsZero() {
		// Whole seconds, truncated towards zero, as the migration counts
		// the receipts stored before it.
		if secs := (r.IssuedAt.UnixMicro() - r.ShownAt.UnixMicro()) / 1e6; secs >= 0 {
			c.Latencies[Latency{day, r.Surface, r.Language, console.LatencyBucket(secs)}]++
		}
	}
}

// Reset empties c for the next transaction.
func (c *Counts) Reset() {
	clear(c.Decisions)
	clear(c.Purposes)
	clear(c.Latencies)
}

// Empty reports whether c counts nothing.
func (c *Counts) Empty() bool { return len(c.Decisions) == 0 }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Sorted returns the counts in one fixed order of their keys: writers that
// update rows in the same order cannot deadlock each other.
func Sorted[K comparable](m map[K]int64, cmpKey func(a, b K) int) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmpKey)
	return keys
}

// CompareDecision, ComparePurpose and CompareLatency order keys for Sorted.
func CompareDecision(a, b Decision) int {
	return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Surface, b.Surface), cmp.Compare(a.Language, b.Language),
		cmp.Compare(a.PolicyVersion, b.PolicyVersion), cmp.Compare(a.Decision, b.Decision), cmp.Compare(boolInt(a.Reask), boolInt(b.Reask)))
}

func ComparePurpose(a, b Purpose) int {
	return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Surface, b.Surface), cmp.Compare(a.Language, b.Language),
		cmp.Compare(a.PolicyVersion, b.PolicyVersion), cmp.Compare(boolInt(a.Reask), boolInt(b.Reask)),
		cmp.Compare(a.Purpose, b.Purpose), cmp.Compare(a.State, b.State))
}

func CompareLatency(a, b Latency) int {
	return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Surface, b.Surface), cmp.Compare(a.Language, b.Language),
		cmp.Compare(a.Seconds, b.Seconds))
}
