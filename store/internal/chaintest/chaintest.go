package chaintest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/storetest"
)

// Run checks s's ChainFacts against Tip and KeySubject for a subject with
// no record, one with records, and a key enrolled for none, for the
// subject, and for another subject.
func Run(t *testing.T, s interface {
	receipt.Store
	receipt.ChainFactsReader
}) {
	ctx := context.Background()
	subject, other, key, otherKey := storetest.NewSubject(), storetest.NewSubject(), storetest.NewKey(), storetest.NewKey()
	first, _, err := s.Put(ctx, storetest.NewDeviceRecord(subject, nil, key), receipt.PutOptions{})
	require.NoError(t, err)
	second := storetest.NewRecord(subject, &first)
	second.Surface, second.States = receipt.SurfaceSettings, map[string]string{"necessary": receipt.StateGiven, "analytics": receipt.StateWithdrawn}
	_, _, err = s.Put(ctx, second, receipt.PutOptions{})
	require.NoError(t, err)
	_, _, err = s.Put(ctx, storetest.NewDeviceRecord(other, nil, otherKey), receipt.PutOptions{})
	require.NoError(t, err)

	for _, tt := range []struct{ name, subject, key string }{
		{"NoSubjectNoKey", storetest.NewSubject(), storetest.NewKey()},
		{"NoSubjectKeyOfOther", storetest.NewSubject(), otherKey},
		{"SubjectNoKey", subject, storetest.NewKey()},
		{"SubjectItsKey", subject, key},
		{"SubjectKeyOfOther", subject, otherKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var want receipt.ChainFacts
			tip, err := s.Tip(ctx, tt.subject)
			switch errs.Code(err) {
			case "":
				want.Exists, want.Hash, want.Surface, want.States = true, tip.Hash, tip.Surface, tip.States
			case errs.NotFound:
			default:
				t.Fatal(err)
			}
			want.KeySubject, err = s.KeySubject(ctx, tt.key)
			if errs.Code(err) != errs.NotFound {
				require.NoError(t, err)
			}
			got, err := s.ChainFacts(ctx, tt.subject, tt.key)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
	got, err := s.ChainFacts(ctx, subject, key)
	require.NoError(t, err)
	assert.Equal(t, receipt.ChainFacts{Exists: true, Hash: second.Hash, Surface: receipt.SurfaceSettings, States: second.States, KeySubject: subject}, got,
		"the newest record, not the first")
}
