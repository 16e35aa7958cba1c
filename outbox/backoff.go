package outbox

import (
	"math/rand/v2"
	"time"
)

// Backoff spaces the attempts to send a receipt the server could not take:
// the delay doubles from Base up to Cap, and a random part (jitter) keeps
// many devices that come back online together from retrying in step.
type Backoff struct {
	Base time.Duration // delay after the first failure; 1 s when 0
	Cap  time.Duration // longest delay; 5 min when 0
	// Rand returns a number in [0, 1); math/rand/v2 when nil. Tests plug in
	// a fixed value.
	Rand func() float64
}

// Delay returns the wait after the attempt-th consecutive failure (1 for
// the first): half of the exponential delay plus a random part of the other
// half ("equal jitter"), so it is never shorter than half the schedule.
func (b Backoff) Delay(attempt int) time.Duration {
	base, ceil := b.Base, b.Cap
	if base <= 0 {
		base = time.Second
	}
	if ceil <= 0 {
		ceil = 5 * time.Minute
	}
	d := base
	for i := 1; i < attempt && d < ceil; i++ {
		d *= 2
	}
	d = min(d, ceil)
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	return d/2 + time.Duration(r()*float64(d/2))
}
