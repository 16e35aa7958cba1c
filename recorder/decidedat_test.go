package recorder_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kaiconn/consent/recorder"
)

// A decision time a page reports is believed only within what the server
// knows: not before the page was shown, not after the post.
func TestDecidedAt(t *testing.T) {
	shown := time.Date(2026, 11, 29, 4, 0, 0, 0, time.UTC)
	now := shown.Add(time.Hour)
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	for _, tt := range []struct {
		name, field string
		want        time.Time
	}{
		{"OKWithin", ms(shown.Add(time.Minute)), shown.Add(time.Minute)},
		{"BeforeShownIsShown", ms(shown.Add(-time.Hour)), shown},
		{"AfterNowIsNow", ms(now.Add(time.Hour)), now},
		{"MissingIsNow", "", now},
		{"GarbageIsNow", "yesterday", now},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.True(t, tt.want.Equal(recorder.DecidedAt(tt.field, shown, now)), "%v", recorder.DecidedAt(tt.field, shown, now))
		})
	}
}
