package put

import "time"

// Clock is the time a store reads when it dates something itself: when a
// record was received, a key enrolled, a nonce expired. A nil Clock reads
// the system's; the contract suite sets one so that expiry is tested by
// moving the clock, not by waiting for it, which a busy machine turns
// into a race.
type Clock func() time.Time

// Now is the clock's reading.
func (c Clock) Now() time.Time {
	if c == nil {
		return time.Now()
	}
	return c()
}
