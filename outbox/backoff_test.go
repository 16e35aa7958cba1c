package outbox_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kaiconn/consent/outbox"
)

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		name    string
		rand    float64
		attempt int
		want    time.Duration
	}{
		{"FirstLow", 0, 1, 500 * time.Millisecond},
		{"FirstHigh", 0.999, 1, 500*time.Millisecond + time.Duration(0.999*float64(500*time.Millisecond))},
		{"Doubles", 0.5, 4, 6 * time.Second},
		{"CapLow", 0, 30, 150 * time.Second},
		{"CapHigh", 0.999, 1000, 150*time.Second + time.Duration(0.999*float64(150*time.Second))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := outbox.Backoff{Rand: func() float64 { return tt.rand }}
			assert.Equal(t, tt.want, b.Delay(tt.attempt))
		})
	}
	t.Run("NeverAboveCap", func(t *testing.T) {
		b := outbox.Backoff{Base: time.Second, Cap: 5 * time.Minute}
		for a := 1; a < 64; a++ {
			assert.LessOrEqual(t, b.Delay(a), 5*time.Minute)
			assert.GreaterOrEqual(t, b.Delay(a), min(time.Second<<(a-1), 5*time.Minute)/2)
		}
	})
}
