package recorder_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
	"github.com/kaiconn/consent/store/memstore"
)

// now is the recorder's clock, fixed: a receipt's issuedAt is checked
// against it, so that no verdict here depends on the day the tests run.
var now = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)

// fixture is a recorder over a memory store, wired as the server wires it:
// the shipped catalogue and policy texts.
type fixture struct {
	rec   *recorder.Recorder
	store *memstore.Store
	keys  *receipt.Keyring
	cat   *consent.Catalogue
}

func newFixture(t *testing.T, store receipt.Store) *fixture {
	t.Helper()
	cat := localestest.Catalogue(t, localestest.Base)
	policies, err := policy.Load(localestest.Policy(t, localestest.Base))
	require.NoError(t, err)
	keys, err := receipt.NewKeyring()
	require.NoError(t, err)
	policyHash := func(version, lang string) (string, bool) {
		v, ok := policies.Version(version)
		if !ok {
			return "", false
		}
		d, ok := v.Doc(lang)
		return d.SHA256, ok
	}
	purposeKnown := func(version, id string) bool {
		_, app := cat.Purpose(consent.SurfaceFirstLaunch, consent.PurposeID(id))
		_, web := cat.Purpose(consent.SurfaceWebBanner, consent.PurposeID(id))
		return version == cat.Version() && (app || web)
	}
	f := &fixture{keys: keys, cat: cat}
	if store == nil {
		f.store = memstore.New()
		store = f.store
	}
	f.rec = recorder.New(recorder.Config{
		Store:      store,
		Keys:       keys,
		Validator:  receipt.NewValidator(policyHash, purposeKnown, func() time.Time { return now }),
		Catalogue:  func(v string) (*consent.Catalogue, bool) { return cat, v == cat.Version() },
		PolicyHash: policyHash,
		Now:        func() time.Time { return now },
	})
	return f
}

func (f *fixture) agree(t *testing.T, surface consent.Surface, ids ...consent.PurposeID) consent.Decision {
	t.Helper()
	d, err := consent.Agree(f.cat, surface, ids, consent.LangEn, now.Add(-time.Minute))
	require.NoError(t, err)
	return d
}

// signed is what a device posts for decision d under c: the server's order
// for it, signed by the device's key.
func (f *fixture) signed(t *testing.T, d consent.Decision, c recorder.Credential, signer receipt.Signer) (*receipt.Signed, []byte) {
	t.Helper()
	o, _, err := f.rec.Order(context.Background(), d, c)
	require.NoError(t, err)
	r, err := o.Unsigned()
	require.NoError(t, err)
	s, err := receipt.Sign(r, signer)
	require.NoError(t, err)
	canon, err := s.Canonical()
	require.NoError(t, err)
	return s, canon
}

func admitNone() (recorder.Admission, error) { return recorder.Admission{}, nil }

func credentialOf(subject string) *recorder.Credential {
	return &recorder.Credential{Subject: subject, ReceiptID: uuid.NewString()}
}

// The API's receipts and the forms' receipts are one kind of record: the
// same decision, signed by a device or attested by the server, is kept
// with the same facts, countersigned by the same keys.
func TestDeviceAndDecisionKeepTheSameRecord(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	d := f.agree(t, consent.SurfaceFirstLaunch, "push")

	attested := credentialOf(receipt.NewSubject())
	id, kind, err := f.rec.Decision(ctx, d, attested, false)
	require.NoError(t, err)
	assert.Equal(t, consent.KindAgreed, kind)
	byServer, err := f.store.Get(ctx, id)
	require.NoError(t, err)

	device := receipt.GenerateEd25519Signer()
	s, canon := f.signed(t, d, *credentialOf(receipt.NewSubject()), device)
	byDevice, created, err := f.rec.Device(ctx, s, canon, admitNone)
	require.NoError(t, err)
	require.True(t, created)

	for name, rec := range map[string]receipt.Record{"server-attested": byServer, "device-signed": byDevice} {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, map[string]string{
				"basic": "necessary", "push": "given", "location": "refused",
				"wechat-share": "refused", "crash-reports": "refused", "analytics": "refused",
			}, rec.States, "the record's states are its receipt's")
			assert.Equal(t, localestest.Base, rec.PolicyVersion)
			assert.Equal(t, receipt.SurfaceFirstLaunch, rec.Surface)
			assert.Equal(t, receipt.DecisionAgreed, rec.Decision)
			assert.Equal(t, receipt.LangEn, rec.Language)
			assert.True(t, now.Equal(rec.ReceivedAt), "received by the recorder's clock")
			c := receipt.FromRecord(rec)
			_, err := c.Verify(f.keys.JWKS())
			assert.NoError(t, err, "countersigned by the server's keys")
		})
	}
	assert.Equal(t, "", byServer.DeviceKey)
	thumb, err := s.Device.JWK.Thumbprint()
	require.NoError(t, err)
	assert.Equal(t, thumb, byDevice.DeviceKey)
}

func TestDevice(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	device := receipt.GenerateEd25519Signer()
	subject := receipt.NewSubject()
	d := f.agree(t, consent.SurfaceFirstLaunch, "push")
	s, canon := f.signed(t, d, *credentialOf(subject), device)
	first, created, err := f.rec.Device(ctx, s, canon, admitNone)
	require.NoError(t, err)
	require.True(t, created)

	t.Run("OKRetryGetsTheFirstAnswer", func(t *testing.T) {
		again, created, err := f.rec.Device(ctx, s, canon, admitNone)
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, first, again)
	})
	t.Run("OKRetryAnsweredEvenWhenItWouldBeRefusedNow", func(t *testing.T) {
		// The admission now fails (an expired page, say), but the receipt
		// is stored already: a retry gets its acknowledgement back.
		again, created, err := f.rec.Device(ctx, s, canon, func() (recorder.Admission, error) {
			return recorder.Admission{}, errs.New(errs.Invalid, "Kaiconn-Ticket: not ours")
		})
		require.NoError(t, err)
		assert.False(t, created)
		assert.Equal(t, first.Hash, again.Hash)
	})
	t.Run("ErrAnotherReceiptUnderAUsedID", func(t *testing.T) {
		other := receipt.GenerateEd25519Signer()
		s2, canon2 := f.signed(t, f.agree(t, consent.SurfaceFirstLaunch), recorder.Credential{Subject: receipt.NewSubject(), ReceiptID: first.ID}, other)
		_, _, err := f.rec.Device(ctx, s2, canon2, admitNone)
		assert.Equal(t, errs.Conflict, errs.Code(err))
		assert.Contains(t, errs.Message(err), "receipt.id: already used")
	})
	t.Run("ErrChainForAKeyTheSubjectNeverEnrolled", func(t *testing.T) {
		stranger := receipt.GenerateEd25519Signer()
		s2, canon2 := f.signed(t, f.agree(t, consent.SurfaceSettings), *credentialOf(subject), stranger)
		_, _, err := f.rec.Device(ctx, s2, canon2, admitNone)
		assert.Same(t, recorder.ErrChain, err)
	})
	t.Run("OKKeyJoinsWithAnAdmission", func(t *testing.T) {
		joining := receipt.GenerateEd25519Signer()
		shown := now.Add(-2 * time.Minute)
		s2, canon2 := f.signed(t, f.agree(t, consent.SurfaceSettings), *credentialOf(subject), joining)
		rec, created, err := f.rec.Device(ctx, s2, canon2, func() (recorder.Admission, error) {
			return recorder.Admission{Join: true, ShownAt: shown}, nil
		})
		require.NoError(t, err)
		assert.True(t, created)
		assert.Equal(t, first.Hash, rec.PrevHash)
		assert.True(t, shown.Equal(rec.ShownAt))
	})
	t.Run("ErrAdmissionRefused", func(t *testing.T) {
		s2, canon2 := f.signed(t, d, *credentialOf(receipt.NewSubject()), receipt.GenerateEd25519Signer())
		_, _, err := f.rec.Device(ctx, s2, canon2, func() (recorder.Admission, error) {
			return recorder.Admission{}, errs.New(errs.Invalid, "Kaiconn-Ticket: not ours")
		})
		assert.Equal(t, errs.Invalid, errs.Code(err))
	})
}

func TestDecision(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	subject := receipt.NewSubject()
	d := f.agree(t, consent.SurfaceFirstLaunch, "push")
	c := credentialOf(subject)
	id, _, err := f.rec.Decision(ctx, d, c, false)
	require.NoError(t, err)
	require.False(t, c.Replay)

	t.Run("OKSamePageTwiceIsAReplay", func(t *testing.T) {
		again := &recorder.Credential{Subject: subject, ReceiptID: id}
		got, _, err := f.rec.Decision(ctx, d, again, false)
		require.NoError(t, err)
		assert.Equal(t, id, got)
		assert.True(t, again.Replay, "nothing new stored")
	})
	t.Run("OKAnotherDecisionUnderAUsedIDGetsAFreshID", func(t *testing.T) {
		changed := f.agree(t, consent.SurfaceSettings, "push", "location")
		other := &recorder.Credential{Subject: subject, ReceiptID: id}
		got, _, err := f.rec.Decision(ctx, changed, other, false)
		require.NoError(t, err)
		assert.NotEqual(t, id, got)
		assert.False(t, other.Replay)
		rec, err := f.store.Get(ctx, got)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"push": "given", "location": "given"},
			map[string]string{"push": rec.States["push"], "location": rec.States["location"]})
	})
	t.Run("OKStoredFindsTheDecisionOnlyForItsSubjects", func(t *testing.T) {
		_, ok, err := f.rec.Stored(ctx, id, d, subject)
		require.NoError(t, err)
		assert.True(t, ok)
		_, ok, err = f.rec.Stored(ctx, id, d, receipt.NewSubject())
		require.NoError(t, err)
		assert.False(t, ok, "another browser's page names no receipt of ours")
		_, ok, err = f.rec.Stored(ctx, uuid.NewString(), d, subject)
		require.NoError(t, err)
		assert.False(t, ok)
	})
	t.Run("ErrUnknownPolicyVersion", func(t *testing.T) {
		bad := d
		bad.PolicyVersion = "1999-01"
		_, _, err := f.rec.Decision(ctx, bad, credentialOf(subject), false)
		assert.Equal(t, errs.Unprocessable, errs.Code(err))
	})
}

// conflicting refuses every Put as a chain conflict: another node always
// wins the subject's head.
type conflicting struct {
	receipt.Store
	puts int
}

func (c *conflicting) Put(context.Context, receipt.Record, receipt.PutOptions) (receipt.Record, bool, error) {
	c.puts++
	return receipt.Record{}, false, errs.New(errs.Conflict, "prev_hash: is not the hash of the subject's newest receipt")
}

// A chain that never stops moving ends in ErrBusy, a conflict the client
// may retry, after the head was read again more than once. synctest's
// clock spends the wait at once.
func TestDecisionBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &conflicting{Store: memstore.New()}
		f := newFixture(t, store)
		_, _, err := f.rec.Decision(context.Background(), f.agree(t, consent.SurfaceFirstLaunch), credentialOf(receipt.NewSubject()), false)
		assert.True(t, errors.Is(err, recorder.ErrBusy))
		assert.Equal(t, errs.Conflict, errs.Code(err))
		assert.Greater(t, store.puts, 1)
	})
}

func TestHolds(t *testing.T) {
	f := newFixture(t, nil)
	d := f.agree(t, consent.SurfaceFirstLaunch, "push")
	subject := receipt.NewSubject()
	rec := receipt.Record{Subject: subject, Surface: receipt.SurfaceFirstLaunch, PolicyVersion: d.PolicyVersion, States: map[string]string{}}
	for _, c := range d.Choices {
		rec.States[string(c.Purpose)] = map[bool]string{true: receipt.StateGiven, false: receipt.StateRefused}[c.Granted]
	}
	for _, tt := range []struct {
		name     string
		edit     func(r *receipt.Record)
		subjects []string
		want     bool
	}{
		{"OKSameDecision", func(*receipt.Record) {}, []string{subject}, true},
		{"OKAnyOfTheSubjects", func(*receipt.Record) {}, []string{"other", subject}, true},
		{"NotAnotherSubject", func(*receipt.Record) {}, []string{"other"}, false},
		{"NotAnotherSurface", func(r *receipt.Record) { r.Surface = receipt.SurfaceSettings }, []string{subject}, false},
		{"NotAnotherVersion", func(r *receipt.Record) { r.PolicyVersion = "1999-01" }, []string{subject}, false},
		{"NotAnotherState", func(r *receipt.Record) { r.States["push"] = receipt.StateWithdrawn }, []string{subject}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := rec
			r.States = map[string]string{}
			for k, v := range rec.States {
				r.States[k] = v
			}
			tt.edit(&r)
			assert.Equal(t, tt.want, recorder.Holds(r, d, tt.subjects...))
		})
	}
}

func TestUsed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	c := credentialOf(receipt.NewSubject())
	id, _, err := f.rec.Decision(ctx, f.agree(t, consent.SurfaceFirstLaunch), c, false)
	require.NoError(t, err)
	for _, tt := range []struct {
		name string
		id   string
		want bool
	}{
		{"OKStored", id, true},
		{"OKFree", uuid.NewString(), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			used, err := f.rec.Used(ctx, tt.id)
			require.NoError(t, err)
			assert.Equal(t, tt.want, used)
		})
	}
}
