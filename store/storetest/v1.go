package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/receipt/receipttest"
)

// V1Fixture is what a store of schema 1 held, for the migration tests of
// the adapters: each inserts Rows with its own schema-1 SQL, opens the
// store, which migrates, and hands it to CheckMigrated.
type V1Fixture struct {
	// Rows are in acknowledgement order, with only the fields schema 1
	// kept: the fields it lacked are zero.
	Rows []receipt.Record
	// Want are the rows as the migrated store must return them.
	Want []receipt.Record
	// Keys maps each device key thumbprint the migration must enroll to
	// its subject.
	Keys map[string]string
}

// V1 returns real kaiconn-receipt/1 envelopes as schema 1 stored them:
//   - subject A, signed by key 1 under an older policy version, then by
//     key 1 under the current one (a re-ask);
//   - subject B, server-attested first, then signed by key 2;
//   - subject C, signed by key 1 too: schema 1 let a key sign for several
//     subjects, and the migration enrolls it for the oldest (A).
func V1(t testing.TB) V1Fixture {
	t.Helper()
	k1, k2 := receipt.GenerateEd25519Signer(), receipt.GenerateEd25519Signer()
	a, b, c := receipt.NewSubject(), receipt.NewSubject(), receipt.NewSubject()
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	f := V1Fixture{Keys: map[string]string{}}
	heads := map[string]string{}

	add := func(subject, version string, signer receipt.Signer) {
		t.Helper()
		at := base.Add(time.Duration(len(f.Rows)) * time.Hour)
		p := receipttest.Params(subject, heads[subject], at)
		p.PolicyVersion = version
		r := receipt.New(p)
		var env *receipt.Signed
		var err error
		if signer != nil {
			env, err = receipt.Sign(r, signer)
		} else {
			env, err = receipt.Attest(r)
		}
		require.NoError(t, err)
		body, err := env.Canonical()
		require.NoError(t, err)
		row := receipt.Record{
			ID:            r.ID,
			Subject:       subject,
			PrevHash:      heads[subject],
			Hash:          receipt.HashBytes(body),
			PolicyVersion: version,
			Surface:       r.Surface,
			IssuedAt:      at,
			ReceivedAt:    at.Add(1500 * time.Millisecond),
			Body:          body,
			// Schema 1 stored full compact JWSs; the store never reads them.
			Countersig: "eyJhbGciOiJFZERTQSIsImtpZCI6InYxIn0.eyJ2MSI6dHJ1ZX0.c2lnLW9mLQ" + r.ID,
			KeyID:      "v1-server-key",
		}
		want := row
		want.Schema = 1
		want.Language = r.Language
		want.Decision = r.Decision
		want.States = map[string]string{}
		for _, p := range r.Purposes {
			want.States[p.ID] = p.State
		}
		prev := lastVersion(f.Want, subject)
		want.Reask = prev != "" && prev < version
		if signer != nil {
			want.DeviceKey, err = signer.PublicJWK().Thumbprint()
			require.NoError(t, err)
			if _, enrolled := f.Keys[want.DeviceKey]; !enrolled {
				f.Keys[want.DeviceKey] = subject
			}
		}
		f.Rows = append(f.Rows, row)
		f.Want = append(f.Want, want)
		heads[subject] = row.Hash
	}
	add(a, "2024-06-01", k1)
	add(b, receipttest.PolicyVersion, nil)
	add(a, receipttest.PolicyVersion, k1)
	add(b, receipttest.PolicyVersion, k2)
	add(c, receipttest.PolicyVersion, k1)
	return f
}

func lastVersion(records []receipt.Record, subject string) string {
	for i := len(records) - 1; i >= 0; i-- {
		if records[i].Subject == subject {
			return records[i].PolicyVersion
		}
	}
	return ""
}

// CheckMigrated checks a store opened on f.Rows of schema 1: every row
// reads back with its body and countersignature exactly as stored and the
// new fields filled from the body, keys are enrolled, and chains go on
// under the new rules.
func CheckMigrated(t *testing.T, s receipt.Store, f V1Fixture) {
	ctx := context.Background()
	var got []receipt.Record
	require.NoError(t, s.Export(ctx, func(r receipt.Record) error {
		got = append(got, r)
		return nil
	}))
	require.Len(t, got, len(f.Want))
	for i := range f.Want {
		assert.Equal(t, Normalised(f.Want[i]), got[i], "row %d", i)
		assert.Equal(t, string(f.Rows[i].Body), string(got[i].Body), "row %d: body must be exported exactly as stored", i)
	}
	for key, subject := range f.Keys {
		enrolled, err := s.KeySubject(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, subject, enrolled)
	}

	next := func(subject string, key string) receipt.Record {
		head, err := s.Head(ctx, subject)
		require.NoError(t, err)
		r := NewDeviceRecord(subject, &head, key)
		r.PolicyVersion = head.PolicyVersion
		return r
	}
	a, b, c := f.Want[0], f.Want[1], f.Want[4]
	t.Run("EnrolledKeyAppends", func(t *testing.T) {
		for _, r := range []receipt.Record{next(a.Subject, a.DeviceKey), next(b.Subject, f.Want[3].DeviceKey)} {
			_, created, err := s.Put(ctx, r, receipt.PutOptions{})
			require.NoError(t, err)
			assert.True(t, created)
		}
		// Appended after the old rows, not among them.
		var last receipt.Record
		require.NoError(t, s.Export(ctx, func(r receipt.Record) error { last = r; return nil }))
		head, err := s.Head(ctx, b.Subject)
		require.NoError(t, err)
		assert.Equal(t, head.ID, last.ID)
	})
	t.Run("ErrKeyOfOlderSubject", func(t *testing.T) {
		// Key 1 signed C's receipt under schema 1, but belongs to A now.
		_, _, err := s.Put(ctx, next(c.Subject, c.DeviceKey), receipt.PutOptions{})
		assert.Equal(t, errs.Forbidden, errs.Code(err), "%v", err)
	})
	t.Run("ErrKeyNotEnrolled", func(t *testing.T) {
		_, _, err := s.Put(ctx, next(a.Subject, NewKey()), receipt.PutOptions{})
		assert.Equal(t, errs.Forbidden, errs.Code(err), "%v", err)
	})
	t.Run("ErrChain", func(t *testing.T) {
		_, _, err := s.Put(ctx, NewDeviceRecord(b.Subject, &b, f.Want[3].DeviceKey), receipt.PutOptions{})
		assert.Equal(t, errs.Conflict, errs.Code(err), "%v", err)
	})
}
