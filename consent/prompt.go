package consent

import "time"

// QuietPeriod is how long nobody is asked again, unasked, after a refusal
// (MIIT: an app must not prompt again within 48 hours of a refusal).
const QuietPeriod = 48 * time.Hour

// ShouldPrompt reports whether a surface should show the choices without
// being asked to, given the person's history of decisions (one audience:
// the app's, or the website's; any order) under this catalogue's version.
//
// The rules, in order:
//
//  1. The person opened the choices themselves: show them. The quiet period
//     protects people from being pestered, not from their own wish.
//  2. No decision yet (first launch, first visit): prompt. Nothing was
//     refused, so the quiet period cannot apply.
//  3. The newest decision was made under this policy version or a later
//     one: do not prompt. The person has answered; a refusal stands and is
//     never asked again for the same version — the choices stay reachable
//     in settings.
//  4. The policy is newer than the newest decision: prompt, unless the
//     person refused something (see Decision.Refused) less than QuietPeriod
//     ago. Exactly 48 hours after a refusal is no longer within it.
//
// A newer policy only needs a prompt when Reask finds something to ask; the
// gate combines the two.
func (c *Catalogue) ShouldPrompt(history []Decision, now time.Time, openedByUser bool) bool {
	if openedByUser {
		return true
	}
	if len(history) == 0 {
		return true
	}
	newest := history[0]
	var lastRefusal time.Time
	for _, d := range history {
		if !d.At.Before(newest.At) {
			newest = d
		}
		if d.Refused() && d.At.After(lastRefusal) {
			lastRefusal = d.At
		}
	}
	// Policy versions are "YYYY-MM", validated by LoadCatalogue, so they
	// order as strings.
	if newest.PolicyVersion >= c.version {
		return false
	}
	return lastRefusal.IsZero() || now.Sub(lastRefusal) >= QuietPeriod
}
