package receipt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowebpki/jcs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func canonical(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(b)
}

// slow is JCS the general way: encoding/json, then a JCS library that
// parses and rewrites it. The direct writer must match it byte for byte.
func slow(t testing.TB, v any) string {
	t.Helper()
	b, err := canonical(v)
	require.NoError(t, err)
	return string(b)
}

// tricky are strings that exercise every escaping rule of JCS.
var tricky = []string{
	"", "plain", `quote " and backslash \`, "\x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x7f",
	"<script>&</script>", "\u2028\u2029", "深圳市每开创新科技有限公司", "emoji 🙂 𝄞", "bad \xff utf-8 \xc3",
	"/settings/privacy", "ends with backslash \\",
}

func trickyReceipt(schema, s string, device bool) *Signed {
	r := &Receipt{
		Schema: schema, ID: s + "id", Subject: s, Controller: Controller{Name: s, Address: s + "a", Email: "e" + s},
		Notice: "n" + s, Jurisdiction: "CN", Surface: s, Language: s, Policy: Policy{Version: s, SHA256: s + "h"},
		Decision: s, IssuedAt: s + "t", PrevHash: s + "p",
		Purposes: []Purpose{
			{ID: s, Recipient: s, DataCategories: []string{s, "x" + s}, ConsentType: s, State: s, Time: s, ExpiresAt: s, Withdraw: Withdrawal{Text: s, URL: s}},
			{ID: "b", State: "refused"},
		},
	}
	if s != "" {
		r.Confirmed = []string{s, "age-18"}
	}
	env := &Signed{Attestation: AttestationServer, Receipt: *r}
	if device {
		env.Attestation = AttestationDevice
		env.Device = Device{Alg: s + "alg", JWK: JWK{Kty: s, Crv: "c" + s, X: s + "x", Y: s}, Sig: s + "sig"}
	}
	return env
}

func TestDirectJCS(t *testing.T) {
	for _, schema := range []string{SchemaV1, SchemaV2, "kaiconn-receipt/9"} {
		for _, s := range tricky {
			for _, device := range []bool{true, false} {
				env := trickyReceipt(schema, s, device)
				assert.Equal(t, slow(t, env.wire()), string(env.appendJCS(nil)), "%s %q device %v", schema, s, device)
				assert.Equal(t, slow(t, env.Receipt.wire()), string(env.Receipt.appendJCS(nil)), "%s %q", schema, s)
			}
		}
	}
	t.Run("NilSlices", func(t *testing.T) {
		for _, schema := range []string{SchemaV1, SchemaV2} {
			r := &Receipt{Schema: schema, Purposes: []Purpose{{ID: "a"}}}
			assert.Equal(t, slow(t, r.wire()), string(r.appendJCS(nil)))
			r.Purposes = nil
			assert.Equal(t, slow(t, r.wire()), string(r.appendJCS(nil)))
		}
	})
	t.Run("Fixtures", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join("..", "testdata", "receipt", "*.json"))
		require.NoError(t, err)
		n := 0
		for _, f := range files {
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			s, err := Decode(b)
			if err != nil {
				continue // histories and countersigned files
			}
			n++
			assert.Equal(t, slow(t, s.wire()), string(s.appendJCS(nil)), f)
		}
		assert.Positive(t, n)
	})
	t.Run("Signed", func(t *testing.T) {
		for _, schema := range []string{SchemaV1, SchemaV2} {
			s, err := Sign(New(Params{
				Schema: schema, Subject: NewSubject(), Surface: SurfaceFirstLaunch, Language: LangZhHans,
				PolicyVersion: "2022-10", PolicySHA256: strings.Repeat("ab", 32), Decision: DecisionAgreed, IssuedAt: time.Now(),
				Notice: strings.Repeat("cd", 32), Purposes: []PurposeParams{{ID: "basic", State: StateGiven, ExpiresAt: time.Now(),
					Recipient: "每开", DataCategories: []string{"设备信息"}, ConsentType: ConsentTypeConsent, Time: time.Now(), WithdrawText: "撤回"}},
			}), GenerateES256Signer())
			require.NoError(t, err)
			assert.Equal(t, slow(t, s.wire()), string(s.appendJCS(nil)))
		}
	})
}

// FuzzDirectJCS: whatever a string member holds, the direct writer and the
// general way agree.
func FuzzDirectJCS(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, schema := range []string{SchemaV1, SchemaV2} {
			env := trickyReceipt(schema, s, true)
			if got, want := string(env.appendJCS(nil)), slow(t, env.wire()); got != want {
				t.Fatalf("%q:\n got %s\nwant %s", s, got, want)
			}
		}
	})
}
