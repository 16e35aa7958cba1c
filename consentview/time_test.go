package consentview

import (
	"testing"
	"time"

	"github.com/kaiconn/consent/lang/texts"
	"github.com/stretchr/testify/assert"
)

// One time-zone rule and one format: the gate and the settings page show
// the same instant in the same words (LocalTime), Beijing time
// for Chinese readers and UTC otherwise, even across midnight.
func TestGateAndSettingsShowOneTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Time
		l    string
		want string
	}{
		{"Zh", time.Date(2026, 11, 29, 12, 30, 0, 0, time.UTC), texts.ZhHans, "2026年11月29日 20:30（北京时间）"},
		{"ZhNextDayInBeijing", time.Date(2026, 11, 29, 17, 5, 0, 0, time.UTC), texts.ZhHans, "2026年11月30日 01:05（北京时间）"},
		{"En", time.Date(2026, 11, 29, 12, 30, 0, 0, time.UTC), texts.En, "29 Nov 2026, 12:30 UTC"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, decidedAt(tc.at, tc.l))
			assert.Equal(t, LocalTime(Instant(tc.at), tc.l), decidedAt(tc.at, tc.l))
		})
	}
}
