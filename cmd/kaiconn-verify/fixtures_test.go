package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/proof"
	"github.com/kaiconn/consent/receipt"
)

var update = flag.Bool("update", false, "rewrite the kaiconn-receipt/2 fixtures under testdata/receipt")

// The same fixed keys as the receipt package's fixtures, so that one
// jwks.json verifies old and new fixtures: Ed25519 is deterministic, and so
// are the files.
var (
	subject   = "sub_abcdefghijklmnopqrstuvwxyz"
	deviceKey = ed25519.NewKeyFromSeed([]byte("kaiconn-test-device-key-seed-32b"))
	serverKey = ed25519.NewKeyFromSeed([]byte("kaiconn-test-server-key-2-seed32"))
	decided   = time.Date(2026, 11, 29, 4, 30, 0, 0, time.UTC)
)

// policySHA256 hashes a policy source file as the server does.
func policySHA256(t *testing.T, dir, version, lang string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, version, lang+".md"))
	require.NoError(t, err)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

type fixtureBuilder struct {
	t    *testing.T
	keys *receipt.Keyring
	// schema is the compact format the receipts are built in: the v2
	// fixtures stay kaiconn-receipt/2, as such receipts were issued.
	schema string
}

// receipt maps decision d to a receipt as the outbox does, in b.schema
// unless v1.
func (b fixtureBuilder) receipt(cat *consent.Catalogue, policyDir string, d consent.Decision, previous *consent.Decision, id, prev string, v1 bool) *receipt.Receipt {
	t := b.t
	m := consentreceipt.Meta{
		ReceiptID:    id,
		PolicySHA256: policySHA256(t, policyDir, d.PolicyVersion, d.Lang),
		Purposes:     consentreceipt.Purposes(cat, d.Surface, d.Lang),
		Previous:     previous,
	}
	if !v1 {
		m.Notice = notice.For(cat, d.Surface, d.Lang)
		m.Schema = b.schema
	}
	p, err := consentreceipt.Params(d, m, subject, prev)
	require.NoError(t, err)
	return receipt.New(p)
}

// countersign signs r with the device key (or attests it) and countersigns
// it as the server does now, or, when full, as it did before detached
// countersignatures.
func (b fixtureBuilder) countersign(r *receipt.Receipt, attested, full bool) receipt.Countersigned {
	t := b.t
	var s *receipt.Signed
	var err error
	if attested {
		s, err = receipt.Attest(r)
	} else {
		s, err = receipt.Sign(r, &receipt.Ed25519Signer{Key: deviceKey})
	}
	require.NoError(t, err)
	body, err := s.Canonical()
	require.NoError(t, err)
	jws, kid, err := b.keys.Countersign(body)
	require.NoError(t, err)
	if full {
		protected, sig, _ := strings.Cut(jws, "..")
		jws = protected + "." + base64.RawURLEncoding.EncodeToString(body) + "." + sig
	}
	issued := r.IssuedTime()
	return receipt.Countersigned{
		ID: r.ID, Hash: receipt.HashBytes(body), Envelope: body,
		Countersignature: jws, KeyID: kid, ReceivedAt: issued.Add(2 * time.Second),
	}
}

// v2Fixtures builds the kaiconn-receipt/2 fixtures: receipts under the real
// 2022-10 catalogue and policy, a chain that starts with a v1 record stored
// before v2, receipts whose signatures are genuine but whose references are
// not the sources' (what only the hash check catches), and a receipt under
// the fixture policy 2026-12, whose sources are under testdata.
func v2Fixtures(t *testing.T) map[string]any {
	keys, err := receipt.NewKeyring(serverKey)
	require.NoError(t, err)
	b := fixtureBuilder{t: t, keys: keys, schema: receipt.SchemaV2}
	cat, err := consent.LoadCatalogue(localestest.Catalogues(t, localestest.Base), localestest.Base)
	require.NoError(t, err)
	policyDir := filepath.Join("..", "..", "locales", "policy")
	must := func(d consent.Decision, err error) consent.Decision {
		t.Helper()
		require.NoError(t, err)
		return d
	}

	// As the gate takes it: an agreement with the 18+ box ticked.
	agreed := must(consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "location"}, consent.LangEn, decided))
	agreed.Confirmed = []string{consent.FactAge18}
	single := b.countersign(b.receipt(cat, policyDir, agreed, nil, "3f2b8c1e-7d4a-4b9e-8f6a-2c5d9e0a1b7c", "", false), false, false)

	web := must(consent.Agree(cat, consent.SurfaceWebBanner, []consent.PurposeID{"analytics"}, consent.LangZhHans, decided))
	attested := b.countersign(b.receipt(cat, policyDir, web, nil, "a7e4c2d9-1b3f-4e8a-9c6d-5f0b2a8e3d41", "", false), true, false)

	// A subject's chain across the format change: a first-launch form
	// decision stored as v1 with a full countersignature, then v2 receipts
	// from the app's settings.
	agreedV1 := agreed
	agreedV1.Confirmed = nil // v1 records no facts
	first := b.countersign(b.receipt(cat, policyDir, agreedV1, nil, "5c8d2e4f-9a1b-4c7e-8d3f-6b0a2e9c1d58", "", true), true, true)
	updated := must(consent.Update(cat, agreed, consent.SurfaceSettings, map[consent.PurposeID]bool{"analytics": true}, consent.LangEn, decided.Add(24*time.Hour)))
	second := b.countersign(b.receipt(cat, policyDir, updated, &agreed, "8e1f3a5c-2d7b-4f9e-a6c8-0b4d2e7f1a93", first.Hash, false), false, false)
	withdrawn := must(consent.Withdraw(cat, updated, consent.SurfaceSettings, consent.LangEn, decided.Add(48*time.Hour), "push"))
	third := b.countersign(b.receipt(cat, policyDir, withdrawn, &updated, "d2a6b9e3-4c8f-4a1d-b7e5-3f9c0a6d2b14", second.Hash, false), false, false)
	history := receipt.History{Subject: subject, Receipts: []receipt.Countersigned{first, second, third}}

	// Genuine signatures over references the sources do not hold, or hold
	// for something else.
	forged := func(id string, edit func(r *receipt.Receipt)) receipt.Countersigned {
		r := b.receipt(cat, policyDir, agreed, nil, id, "", false)
		edit(r)
		return b.countersign(r, false, false)
	}
	alteredNotice := forged("4b7d1e9a-6c3f-4a2e-9d8b-1e5f7a0c3d62", func(r *receipt.Receipt) {
		r.Notice = strings.Repeat("0", 63) + "1"
	})
	foreignNotice := forged("9c3e5a7b-2f1d-4e8c-a4b6-7d0e2f9a1c35", func(r *receipt.Receipt) {
		r.Notice = notice.For(cat, consent.SurfaceFirstLaunch, consent.LangZhHans)
	})
	alteredPolicy := forged("6e9a2c4d-8b1f-4d3e-b5a7-2c0f8e6d4a19", func(r *receipt.Receipt) {
		r.Policy.SHA256 = policySHA256(t, policyDir, cat.Version(), consent.LangZhHans)
	})
	// The forgery of the issue: the notice hash altered after signing.
	tampered := single
	tampered.Envelope = json.RawMessage(strings.Replace(string(single.Envelope), notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn), strings.Repeat("0", 63)+"1", 1))
	require.NotEqual(t, string(single.Envelope), string(tampered.Envelope))
	tampered.Hash = ""

	fixtureCats := os.DirFS(filepath.Join("..", "..", "testdata", "catalogue"))
	later, err := consent.LoadCatalogue(fixtureCats, localestest.Later)
	require.NoError(t, err)
	sensors := must(consent.Agree(later, consent.SurfaceFirstLaunch, []consent.PurposeID{"sensors"}, consent.LangZhHans, decided))
	sensors.Confirmed = []string{consent.FactAge18}
	fixturePolicy := b.countersign(b.receipt(later, filepath.Join("..", "..", "testdata", "policy"), sensors, nil, "0d4f7b2a-3e9c-4c1a-8b6e-9a2d5f0c7e83", "", false), false, false)

	// kaiconn-receipt/3: the gate's Disagree, server-attested, then an
	// agreement in settings signed by the device, chained after it. The
	// required processing is necessary in both, never given.
	b3 := fixtureBuilder{t: t, keys: keys, schema: receipt.SchemaV3}
	declined := must(consent.Decline(cat, consent.SurfaceFirstLaunch, consent.LangZhHans, decided))
	v3First := b3.countersign(b3.receipt(cat, policyDir, declined, nil, "e5b1c7d3-0a2f-4e6b-9c8d-4f1a3b5e7c20", "", false), true, false)
	v3Agreed := must(consent.Update(cat, declined, consent.SurfaceSettings, map[consent.PurposeID]bool{"push": true}, consent.LangZhHans, decided.Add(time.Hour)))
	v3Second := b3.countersign(b3.receipt(cat, policyDir, v3Agreed, &declined, "b2d4f6a8-1c3e-4a5b-8d7f-9e0a2c4b6d81", v3First.Hash, false), false, false)
	v3History := receipt.History{Subject: subject, Receipts: []receipt.Countersigned{v3First, v3Second}}

	// The proof bundle of that chain, as the console makes it: canonical
	// bytes, written as they are.
	bundle, err := proof.Build(history, keys.JWKS(), proof.Embedded(), keys, decided.Add(72*time.Hour))
	require.NoError(t, err)

	// Keys of another server, which the bundle's keys are not among.
	other, err := receipt.NewKeyring(ed25519.NewKeyFromSeed([]byte("kaiconn-test-other-server-key-32")))
	require.NoError(t, err)

	return map[string]any{
		"other-jwks.json":                other.JWKS(),
		"v2-bundle.json":                 bundle,
		"v2-receipt.json":                single,
		"v2-attested-receipt.json":       attested,
		"v2-history.json":                history,
		"v2-altered-notice.json":         alteredNotice,
		"v2-foreign-notice.json":         foreignNotice,
		"v2-altered-policy.json":         alteredPolicy,
		"v2-tampered-notice.json":        tampered,
		"v2-fixture-policy-receipt.json": fixturePolicy,
		"v3-declined-receipt.json":       v3First,
		"v3-history.json":                v3History,
	}
}

// TestFixtures keeps the kaiconn-receipt/2 fixtures in step with the code
// (go test ./cmd/kaiconn-verify -update rewrites them).
func TestFixtures(t *testing.T) {
	for name, v := range v2Fixtures(t) {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if raw, ok := v.([]byte); ok {
				buf.Write(raw)
			} else {
				enc := json.NewEncoder(&buf)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				require.NoError(t, enc.Encode(v))
			}
			path := fixture(name)
			if *update {
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./cmd/kaiconn-verify -update to create %s", path)
			assert.Equal(t, string(want), buf.String(), "%s differs; if the change is meant, run go test ./cmd/kaiconn-verify -update", name)
		})
	}
}
