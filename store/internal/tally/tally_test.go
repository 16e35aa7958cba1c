package tally

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/receipt"
)

func TestCounts(t *testing.T) {
	// 23:59:59 and 00:00:01 in Shanghai: two days.
	late := time.Date(2026, 11, 29, 15, 59, 59, 0, time.UTC)
	early := late.Add(2 * time.Second)
	rec := func(at time.Time, decision string, shown time.Duration, states map[string]string) receipt.Record {
		r := receipt.Record{Surface: "first-launch", Language: "en", PolicyVersion: "2022-10", Decision: decision, IssuedAt: at, States: states}
		if shown >= 0 {
			r.ShownAt = at.Add(-shown)
		}
		return r
	}
	var c Counts
	assert.True(t, c.Empty())
	c.Add(rec(late, "agreed", 4*time.Second, map[string]string{"push": "given", "basic": "given"}))
	c.Add(rec(late, "agreed", 4500*time.Millisecond, map[string]string{"push": "given", "basic": "given"}))
	c.Add(rec(early, "declined", -1, map[string]string{"push": "refused", "basic": "given"}))
	c.Add(rec(early, "declined", -2*time.Second, nil)) // shown after the decision: no time

	d1, d2 := console.DayOf(late), console.DayOf(early)
	assert.Equal(t, d1+1, d2)
	assert.Equal(t, map[Decision]int64{
		{d1, "first-launch", "en", "2022-10", "agreed", false}:   2,
		{d2, "first-launch", "en", "2022-10", "declined", false}: 2,
	}, c.Decisions, "merged by key")
	assert.Equal(t, int64(2), c.Purposes[Purpose{d1, "first-launch", "en", "2022-10", false, "push", "given"}])
	assert.Equal(t, int64(1), c.Purposes[Purpose{d2, "first-launch", "en", "2022-10", false, "push", "refused"}])
	assert.Equal(t, map[Latency]int64{{d1, "first-launch", "en", 4}: 2}, c.Latencies, "4 s and 4.5 s: one bucket; unknown and negative: none")

	// A kaiconn-receipt/3 refusal: the required processing is counted
	// as necessary, never as a consent given.
	c.Add(rec(early, "declined", -1, map[string]string{"push": "refused", "basic": "necessary"}))
	assert.Equal(t, int64(1), c.Purposes[Purpose{d2, "first-launch", "en", "2022-10", false, "basic", "necessary"}])
	assert.Equal(t, int64(1), c.Purposes[Purpose{d2, "first-launch", "en", "2022-10", false, "basic", "given"}], "only the receipt before /3 said given")

	keys := Sorted(c.Decisions, CompareDecision)
	assert.Equal(t, d1, keys[0].Day)
	assert.Equal(t, "declined", keys[1].Decision)

	c.Reset()
	assert.True(t, c.Empty())
	assert.Empty(t, c.Purposes)
}
