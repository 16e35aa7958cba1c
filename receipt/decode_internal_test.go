package receipt

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastSeeds are envelopes of both schemas and attestations, canonical,
// pretty-printed and in encoding/json's member order, and each spoilt in
// the ways decodeStrict names: what decodeFast must either refuse or
// decode exactly as decodeStrict does.
func fastSeeds(t testing.TB) [][]byte {
	var seeds [][]byte
	names, _ := filepath.Glob(filepath.Join("..", "testdata", "receipt", "*.json"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		seeds = append(seeds, b)
	}
	now := time.Date(2026, 11, 29, 4, 30, 0, 0, time.UTC)
	hash := strings.Repeat("ab", 32)
	for _, schema := range []string{SchemaV1, SchemaV2} {
		p := Params{
			Schema: schema, Subject: NewSubject(), Surface: SurfaceFirstLaunch, Language: LangEn,
			PolicyVersion: "2022-10", PolicySHA256: hash, Decision: DecisionAgreed, IssuedAt: now, Notice: hash,
			Purposes: []PurposeParams{
				{ID: "basic", State: StateGiven, ExpiresAt: now.Add(time.Hour), Recipient: "K", DataCategories: []string{"d"}, ConsentType: ConsentTypeConsent, Time: now, WithdrawText: "w"},
				{ID: "push", State: StateRefused, Recipient: "K", DataCategories: []string{"d", "é\u2028"}, ConsentType: ConsentTypeSeparate, Time: now, WithdrawText: "w"},
			},
		}
		if schema == SchemaV2 {
			p.Confirmed = []string{"age-18"}
		}
		for _, signer := range []Signer{GenerateEd25519Signer(), GenerateES256Signer()} {
			s, err := Sign(New(p), signer)
			require.NoError(t, err)
			canon, err := s.Canonical()
			require.NoError(t, err)
			marshalled, err := json.Marshal(s)
			require.NoError(t, err)
			pretty, err := json.MarshalIndent(s, "", "  ")
			require.NoError(t, err)
			attested, err := (&Signed{Attestation: AttestationServer, Receipt: s.Receipt}).Canonical()
			require.NoError(t, err)
			seeds = append(seeds, canon, marshalled, pretty, attested)
		}
	}
	spoil := []func(string) string{
		func(s string) string { return strings.Replace(s, `"issuedAt"`, `"IssuedAt"`, 1) },
		func(s string) string { return strings.Replace(s, `"prevHash":""`, `"prevHash":null`, 1) },
		func(s string) string { return strings.Replace(s, `"dataCategories":["d"]`, `"dataCategories":null`, 1) },
		func(s string) string { return strings.Replace(s, `"confirmed":["age-18"]`, `"confirmed":[]`, 1) },
		func(s string) string { return strings.Replace(s, `"confirmed":["age-18"],`, `"confirmed":null,`, 1) },
		func(s string) string {
			return strings.Replace(s, `"state":"refused"`, `"state":"refused","expiresAt":""`, 1)
		},
		func(s string) string { return strings.Replace(s, `"x":"`, `"y":"","x":"`, 1) },
		func(s string) string {
			return strings.Replace(s, `"decision":"agreed"`, `"decision":"agreed","decision":"agreed"`, 1)
		},
		func(s string) string {
			return strings.Replace(s, `"decision":"agreed"`, `"decision":"agreed","Decision":"agreed"`, 1)
		},
		func(s string) string {
			return strings.Replace(s, `"decision":"agreed"`, `"decision":"agreed","phone":"1"`, 1)
		},
		func(s string) string { return strings.Replace(s, `"jurisdiction":"CN"`, `"jurisdiction":"C\u004e"`, 1) },
		func(s string) string {
			return strings.Replace(s, `"jurisdiction":"CN"`, "\"jurisdiction\":\"CN\xff\"", 1)
		},
		func(s string) string { return strings.Replace(s, `"alg":"`, `"device":{},"alg":"`, 1) },
		func(s string) string {
			return strings.Replace(s, `"id":"basic"`, `"id":"basic","notice":"`+strings.Repeat("a", 64)+`"`, 1)
		},
		func(s string) string { return strings.Replace(s, `kaiconn-receipt/2`, `kaiconn-receipt/1`, 1) },
		func(s string) string { return strings.Replace(s, `kaiconn-receipt/1`, `kaiconn-receipt/2`, 1) },
		func(s string) string { return s + " " },
		func(s string) string { return s + "{}" },
	}
	for _, seed := range seeds[:len(seeds):len(seeds)] {
		for _, f := range spoil {
			if spoilt := f(string(seed)); spoilt != string(seed) {
				seeds = append(seeds, []byte(spoilt))
			}
		}
	}
	return seeds
}

// decodeFast is a shortcut, never a second opinion: whatever it accepts,
// decodeStrict accepts with the same envelope and canonical bytes.
func checkFastAgrees(t *testing.T, data []byte) (accepted bool) {
	s, canon, ok := decodeFast(data)
	if !ok {
		return false
	}
	want, wantCanon, err := decodeStrict(data)
	if err != nil {
		t.Fatalf("decodeFast accepted what decodeStrict refuses (%v):\n%s", err, data)
	}
	if !bytes.Equal(canon, wantCanon) {
		t.Fatalf("canonical bytes differ:\n%s\n%s", canon, wantCanon)
	}
	assert.Equal(t, want, s)
	return true
}

func TestDecodeFastAgreesWithStrict(t *testing.T) {
	accepted := 0
	for _, seed := range fastSeeds(t) {
		if checkFastAgrees(t, seed) {
			accepted++
		}
		// DecodeCanonical answers exactly as decodeStrict, refusals
		// included.
		s, canon, err := DecodeCanonical(seed)
		ws, wcanon, werr := decodeStrict(seed)
		assert.Equal(t, werr, err)
		assert.Equal(t, ws, s)
		assert.Equal(t, wcanon, canon)
	}
	// The valid seeds in every spelling, not refusals alone.
	assert.GreaterOrEqual(t, accepted, 16)
}

func FuzzDecodeFast(f *testing.F) {
	for _, seed := range fastSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFastAgrees(t, data) })
}
