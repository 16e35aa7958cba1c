package sqlite

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kaiconn/consent/receipt"
)

func TestTipsKeepTheLaterPlace(t *testing.T) {
	// Two puts to one subject, committed in order, may report in either
	// order; the head must stay the later one.
	tt := newTips()
	newer := receipt.Record{ID: "b", Subject: "sub_x", Hash: "h2"}
	older := receipt.Record{ID: "a", Subject: "sub_x", Hash: "h1"}
	tt.wrote(newer, 2, false)
	tt.wrote(older, 1, false)
	got, ok := tt.head("sub_x")
	assert.True(t, ok)
	assert.Equal(t, "h2", got.Hash)

	tt.forgetSubject("sub_x")
	_, ok = tt.head("sub_x")
	assert.False(t, ok, "forgotten")
}

func TestTipsStayBounded(t *testing.T) {
	tt := newTips()
	for i := range maxTips + 10 {
		tt.wrote(receipt.Record{Subject: string(rune(0x4e00 + i))}, 0, true)
	}
	assert.LessOrEqual(t, len(tt.heads), maxTips)
	assert.LessOrEqual(t, len(tt.keys), maxTips)
}
