package e2e

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// assertSince checks that a time a page stamped (at millisecond precision)
// lies between before, read just before the action that stamped it, and
// now. The bracket holds however slowly the browser ran, where a fixed
// margin around one reading fails on a busy machine.
func assertSince(t *testing.T, before, at time.Time) {
	t.Helper()
	after := time.Now()
	assert.False(t, at.Before(before.Truncate(time.Millisecond)), "%s is before the action (%s)", at, before)
	assert.False(t, at.After(after), "%s is after the answer was read (%s)", at, after)
}
