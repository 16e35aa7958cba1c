package receipt_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/receipt/receipttest"
)

// validEnvelope returns a valid signed envelope as a generic JSON tree, for
// tests to break one member at a time.
func validEnvelope(t *testing.T) map[string]any {
	t.Helper()
	s := newSigned(t, receipt.GenerateES256Signer(), "", "", t0)
	var m map[string]any
	require.NoError(t, json.Unmarshal(canonical(t, s), &m))
	return m
}

func sub(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m = m[k].(map[string]any)
	}
	return m
}

func purpose(m map[string]any, i int) map[string]any {
	return sub(m, "receipt")["purposes"].([]any)[i].(map[string]any)
}

func TestDecode(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(m map[string]any)
		raw    func(b []byte) []byte
		want   string // "" for success
	}{
		{name: "OK"},
		{name: "OKServerAttested", mutate: func(m map[string]any) { m["attestation"] = "server"; delete(m, "device") }},
		{name: "ErrMissingAttestation", mutate: func(m map[string]any) { delete(m, "attestation") },
			want: "attestation: missing"},
		{name: "ErrUnknownAttestation", mutate: func(m map[string]any) { m["attestation"] = "none" },
			want: "attestation: must be device or server"},
		{name: "ErrDeviceWithoutSignature", mutate: func(m map[string]any) { delete(m, "device") },
			want: "device: missing"},
		{name: "ErrServerWithDevice", mutate: func(m map[string]any) { m["attestation"] = "server" },
			want: "device: must be absent when the attestation is server"},
		{name: "ErrMissingState", mutate: func(m map[string]any) { delete(purpose(m, 1), "state") },
			want: "receipt.purposes[1].state: missing"},
		{name: "ErrBadState", mutate: func(m map[string]any) { purpose(m, 1)["state"] = "maybe" },
			want: "receipt.purposes[1].state: must be given, refused or withdrawn"},
		{name: "ErrUnknownMember", mutate: func(m map[string]any) { sub(m, "receipt")["phone"] = "13800138000" },
			want: "receipt.phone: unknown member"},
		{name: "ErrUnknownEnvelopeMember", mutate: func(m map[string]any) { m["countersignature"] = "x" },
			want: "countersignature: unknown member"},
		{name: "ErrNull", mutate: func(m map[string]any) { sub(m, "receipt")["prevHash"] = nil },
			want: "receipt.prevHash: must not be null"},
		{name: "ErrWrongType", mutate: func(m map[string]any) { sub(m, "receipt")["purposes"] = "all" },
			want: "receipt.purposes: must be an array"},
		{name: "ErrNumber", mutate: func(m map[string]any) { sub(m, "receipt", "policy")["version"] = 3 },
			want: "receipt.policy.version: must be a string"},
		{name: "ErrMisCasedName", raw: func(b []byte) []byte { return []byte(strings.Replace(string(b), `"issuedAt"`, `"IssuedAt"`, 1)) },
			want: "receipt.issuedAt: missing"},
		{name: "ErrDuplicateName", raw: func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `"decision":"agreed"`, `"decision":"agreed","decision":"declined"`, 1))
		}, want: "duplicate member name"},
		{name: "ErrNotJSON", raw: func(b []byte) []byte { return b[:len(b)-1] }, want: "body: not valid JSON"},
		{name: "ErrNotObject", raw: func([]byte) []byte { return []byte(`[]`) }, want: "body: must be an object"},
		{name: "ErrSchema", mutate: func(m map[string]any) { sub(m, "receipt")["schema"] = "kaiconn-receipt/4" },
			want: "receipt.schema: must be \"kaiconn-receipt/1\", \"kaiconn-receipt/2\" or \"kaiconn-receipt/3\""},
		{name: "ErrV1LabelledV2", mutate: func(m map[string]any) { sub(m, "receipt")["schema"] = receipt.SchemaV2 },
			want: "receipt.notice: missing"},
		{name: "ErrV2MemberInV1", mutate: func(m map[string]any) { sub(m, "receipt")["notice"] = strings.Repeat("a", 64) },
			want: "receipt.notice: unknown member"},
		{name: "ErrPurposeNoticeInV1", mutate: func(m map[string]any) { purpose(m, 0)["notice"] = strings.Repeat("a", 64) },
			want: "receipt.purposes[0].notice: unknown member"},
		{name: "ErrEmptyOptionalMember", mutate: func(m map[string]any) { sub(m, "device", "jwk")["y"] = "" },
			want: "device.jwk.y: omit the member rather than leave it empty"},
		{name: "ErrID", mutate: func(m map[string]any) { sub(m, "receipt")["id"] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8" },
			want: "receipt.id: must be a version 4 UUID"},
		{name: "ErrSubjectPhone", mutate: func(m map[string]any) { sub(m, "receipt")["subject"] = "13800138000" },
			want: "receipt.subject: must be a pseudonymous id, never a phone number"},
		{name: "ErrSubjectEmail", mutate: func(m map[string]any) { sub(m, "receipt")["subject"] = "a@b.cn" },
			want: "never a phone number or email"},
		{name: "ErrJurisdiction", mutate: func(m map[string]any) { sub(m, "receipt")["jurisdiction"] = "EU" },
			want: "receipt.jurisdiction"},
		{name: "ErrSurface", mutate: func(m map[string]any) { sub(m, "receipt")["surface"] = "popup" },
			want: "receipt.surface: must be first-launch, web-banner or settings"},
		{name: "ErrLanguage", mutate: func(m map[string]any) { sub(m, "receipt")["language"] = "zh" },
			want: "receipt.language"},
		{name: "ErrPolicyHash", mutate: func(m map[string]any) { sub(m, "receipt", "policy")["sha256"] = "ABC" },
			want: "receipt.policy.sha256"},
		{name: "ErrDecision", mutate: func(m map[string]any) { sub(m, "receipt")["decision"] = "ok" },
			want: "receipt.decision"},
		{name: "ErrIssuedAtOffset", mutate: func(m map[string]any) { sub(m, "receipt")["issuedAt"] = "2025-03-01T16:30:00+08:00" },
			want: "receipt.issuedAt: must be an RFC 3339 time in UTC"},
		{name: "ErrNoPurposes", mutate: func(m map[string]any) { sub(m, "receipt")["purposes"] = []any{} },
			want: "receipt.purposes: must list at least one purpose"},
		{name: "ErrDuplicatePurpose", mutate: func(m map[string]any) { purpose(m, 1)["id"] = purpose(m, 0)["id"] },
			want: "receipt.purposes[1].id: purpose \"account\" is listed twice"},
		{name: "ErrConsentType", mutate: func(m map[string]any) { purpose(m, 0)["consentType"] = "implied" },
			want: "receipt.purposes[0].consentType"},
		{name: "ErrNoCategories", mutate: func(m map[string]any) { purpose(m, 0)["dataCategories"] = []any{} },
			want: "receipt.purposes[0].dataCategories"},
		{name: "ErrGivenWithoutExpiry", mutate: func(m map[string]any) { purpose(m, 0)["expiresAt"] = "" },
			want: "receipt.purposes[0].expiresAt: must be set when the state is given"},
		{name: "ErrWithdrawURL", mutate: func(m map[string]any) { sub(purpose(m, 0), "withdraw")["url"] = "https://evil.example/" },
			want: "receipt.purposes[0].withdraw.url"},
		{name: "ErrPrevHash", mutate: func(m map[string]any) { sub(m, "receipt")["prevHash"] = "00" },
			want: "receipt.prevHash"},
		{name: "ErrAlg", mutate: func(m map[string]any) { sub(m, "device")["alg"] = "RS256" },
			want: "device.alg: must be EdDSA or ES256"},
		{name: "ErrJWKCurve", mutate: func(m map[string]any) { sub(m, "device", "jwk")["crv"] = "P-384" },
			want: "device.jwk: must be an EC key on P-256"},
		{name: "ErrJWKExtraMember", mutate: func(m map[string]any) { sub(m, "device", "jwk")["ext"] = true },
			want: "device.jwk.ext: unknown member"},
		{name: "ErrJWKOffCurve", mutate: func(m map[string]any) { sub(m, "device", "jwk")["y"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
			want: "device.jwk: not a point on P-256"},
		{name: "ErrSigPadding", mutate: func(m map[string]any) { sub(m, "device")["sig"] = sub(m, "device")["sig"].(string) + "==" },
			want: "device.sig: must be base64url without padding"},
		{name: "ErrSigDER", mutate: func(m map[string]any) { sub(m, "device")["sig"] = strings.Repeat("A", 94) },
			want: "device.sig: must be 64 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := validEnvelope(t)
			if tt.mutate != nil {
				tt.mutate(m)
			}
			b, err := json.Marshal(m)
			require.NoError(t, err)
			if tt.raw != nil {
				b = tt.raw(b)
			}
			s, err := receipt.Decode(b)
			if tt.want == "" {
				require.NoError(t, err)
				if s.Attestation == receipt.AttestationServer {
					assert.Equal(t, errs.Unprocessable, errs.Code(s.VerifyDevice()), "a server-attested receipt has no device signature to verify")
					return
				}
				require.NoError(t, s.VerifyDevice())
				return
			}
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.want)
		})
	}
}

// validEnvelopeV2 is validEnvelope in the compact format.
func validEnvelopeV2(t *testing.T) map[string]any {
	t.Helper()
	s, err := receipt.Sign(receipt.New(receipttest.ParamsV2(subject, "", t0)), receipt.GenerateES256Signer())
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(canonical(t, s), &m))
	return m
}

// TestDecodeV2 holds kaiconn-receipt/2 to its members exactly, as
// TestDecode does kaiconn-receipt/1.
func TestDecodeV2(t *testing.T) {
	hash := strings.Repeat("c", 64)
	for _, tt := range []struct {
		name   string
		mutate func(m map[string]any)
		want   string // "" for success
	}{
		{name: "OK"},
		{name: "OKServerAttested", mutate: func(m map[string]any) { m["attestation"] = "server"; delete(m, "device") }},
		{name: "OKConfirmed", mutate: func(m map[string]any) { sub(m, "receipt")["confirmed"] = []any{"age-18"} }},
		{name: "ErrMissingNotice", mutate: func(m map[string]any) { delete(sub(m, "receipt"), "notice") },
			want: "receipt.notice: missing"},
		{name: "ErrNoticeNotHash", mutate: func(m map[string]any) { sub(m, "receipt")["notice"] = "Kaiconn" },
			want: "receipt.notice: must be 64 lowercase hex digits"},
		{name: "ErrNoticeUppercase", mutate: func(m map[string]any) { sub(m, "receipt")["notice"] = strings.Repeat("C", 64) },
			want: "receipt.notice: must be 64 lowercase hex digits"},
		{name: "ErrNoticeObject", mutate: func(m map[string]any) { sub(m, "receipt")["notice"] = map[string]any{"kind": "shown"} },
			want: "receipt.notice: must be a string"},
		// The members of the draft that named each text in the receipt.
		{name: "ErrControllerMember", mutate: func(m map[string]any) { sub(m, "receipt")["controller"] = hash },
			want: "receipt.controller: unknown member"},
		{name: "ErrWithdrawalMember", mutate: func(m map[string]any) { sub(m, "receipt")["withdrawal"] = hash },
			want: "receipt.withdrawal: unknown member"},
		{name: "ErrPurposeNotice", mutate: func(m map[string]any) { purpose(m, 1)["notice"] = hash },
			want: "receipt.purposes[1].notice: unknown member"},
		{name: "ErrV1PurposeMember", mutate: func(m map[string]any) { purpose(m, 0)["recipient"] = "<script>alert(1)</script>" },
			want: "receipt.purposes[0].recipient: unknown member"},
		{name: "ErrPurposeTime", mutate: func(m map[string]any) { purpose(m, 0)["time"] = "2025-03-01T08:30:00.000Z" },
			want: "receipt.purposes[0].time: unknown member"},
		{name: "ErrGivenWithoutExpiry", mutate: func(m map[string]any) { delete(purpose(m, 0), "expiresAt") },
			want: "receipt.purposes[0].expiresAt: must be set when the state is given"},
		{name: "ErrExpiryOnRefused", mutate: func(m map[string]any) { purpose(m, 1)["expiresAt"] = "2026-03-01T08:30:00.000Z" },
			want: "receipt.purposes[1].expiresAt: must be absent: only a given purpose has an expiry"},
		{name: "ErrEmptyExpiryOnRefused", mutate: func(m map[string]any) { purpose(m, 1)["expiresAt"] = "" },
			want: "receipt.purposes[1].expiresAt: omit the member rather than leave it empty"},
		{name: "ErrEmptyConfirmed", mutate: func(m map[string]any) { sub(m, "receipt")["confirmed"] = []any{} },
			want: "receipt.confirmed: omit the member rather than leave it empty"},
		{name: "ErrConfirmedTwice", mutate: func(m map[string]any) { sub(m, "receipt")["confirmed"] = []any{"age-18", "age-18"} },
			want: "receipt.confirmed[1]: fact \"age-18\" is listed twice"},
		{name: "ErrConfirmedNotID", mutate: func(m map[string]any) { sub(m, "receipt")["confirmed"] = []any{"I am 18"} },
			want: "receipt.confirmed[0]: must be a fact id"},
		{name: "ErrPrevHash", mutate: func(m map[string]any) { sub(m, "receipt")["prevHash"] = hash[:63] },
			want: "receipt.prevHash"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := validEnvelopeV2(t)
			if tt.mutate != nil {
				tt.mutate(m)
			}
			b, err := json.Marshal(m)
			require.NoError(t, err)
			s, err := receipt.Decode(b)
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, 2, s.Receipt.SchemaVersion())
				if tt.mutate == nil {
					require.NoError(t, s.VerifyDevice(), "the signature covers the v2 members as read")
				}
				again, err := s.Canonical()
				require.NoError(t, err)
				assert.JSONEq(t, string(b), string(again), "a v2 envelope re-encodes to the very members it was read from")
				return
			}
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.want)
		})
	}
}

// validEnvelopeV3 is validEnvelopeV2 in kaiconn-receipt/3: its first
// purpose is necessary.
func validEnvelopeV3(t *testing.T) map[string]any {
	t.Helper()
	s, err := receipt.Sign(receipt.New(receipttest.ParamsV3(subject, "", t0)), receipt.GenerateES256Signer())
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(canonical(t, s), &m))
	return m
}

// TestDecodeV3 holds kaiconn-receipt/3 to the members of v2 and its one
// difference: a purpose may be necessary, a state without an expiry, and
// only v3 knows it. A v2 receipt saying necessary is refused, since a v2
// reader would refuse it too; a v1 one as well.
func TestDecodeV3(t *testing.T) {
	for _, tt := range []struct {
		name   string
		env    func(t *testing.T) map[string]any
		mutate func(m map[string]any)
		want   string // "" for success
	}{
		{name: "OK", env: validEnvelopeV3},
		{name: "OKServerAttested", env: validEnvelopeV3, mutate: func(m map[string]any) { m["attestation"] = "server"; delete(m, "device") }},
		{name: "OKConfirmed", env: validEnvelopeV3, mutate: func(m map[string]any) { sub(m, "receipt")["confirmed"] = []any{"age-18"} }},
		{name: "OKGivenStillGiven", env: validEnvelopeV3, mutate: func(m map[string]any) {
			purpose(m, 1)["state"] = "given"
			purpose(m, 1)["expiresAt"] = "2026-03-01T08:30:00.000Z"
		}},
		{name: "ErrNecessaryWithExpiry", env: validEnvelopeV3, mutate: func(m map[string]any) { purpose(m, 0)["expiresAt"] = "2026-03-01T08:30:00.000Z" },
			want: "receipt.purposes[0].expiresAt: must be absent: only a given purpose has an expiry"},
		{name: "ErrBadState", env: validEnvelopeV3, mutate: func(m map[string]any) { purpose(m, 0)["state"] = "legitimate-interest" },
			want: "receipt.purposes[0].state: must be given, refused, withdrawn or necessary"},
		{name: "ErrControllerMember", env: validEnvelopeV3, mutate: func(m map[string]any) { sub(m, "receipt")["controller"] = "Kaiconn" },
			want: "receipt.controller: unknown member"},
		{name: "ErrNecessaryInV2", env: validEnvelopeV2, mutate: func(m map[string]any) {
			purpose(m, 0)["state"] = "necessary"
			delete(purpose(m, 0), "expiresAt")
		}, want: "receipt.purposes[0].state: must be given, refused or withdrawn"},
		{name: "ErrNecessaryInV1", env: validEnvelope, mutate: func(m map[string]any) {
			purpose(m, 0)["state"] = "necessary"
			purpose(m, 0)["expiresAt"] = ""
		}, want: "receipt.purposes[0].state: must be given, refused or withdrawn"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.env(t)
			if tt.mutate != nil {
				tt.mutate(m)
			}
			b, err := json.Marshal(m)
			require.NoError(t, err)
			s, err := receipt.Decode(b)
			if tt.want == "" {
				require.NoError(t, err)
				assert.Equal(t, 3, s.Receipt.SchemaVersion())
				assert.True(t, s.Receipt.NamesNotice())
				assert.Equal(t, receipt.StateNecessary, s.Receipt.Purposes[0].State)
				if tt.mutate == nil {
					require.NoError(t, s.VerifyDevice(), "the signature covers the v3 members as read")
				}
				again, err := s.Canonical()
				require.NoError(t, err)
				assert.JSONEq(t, string(b), string(again), "a v3 envelope re-encodes to the very members it was read from")
				return
			}
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.want)
		})
	}
}

// TestDecodeWhitespace shows that the signature covers the value, not the
// spelling: a pretty-printed envelope decodes and verifies.
func TestDecodeWhitespace(t *testing.T) {
	s := newSigned(t, receipt.GenerateEd25519Signer(), "", "", t0)
	pretty, err := json.MarshalIndent(s, "", "    ")
	require.NoError(t, err)
	got, err := receipt.Decode(pretty)
	require.NoError(t, err)
	require.NoError(t, got.VerifyDevice())
	assert.Equal(t, canonical(t, s), canonical(t, got))
	_, canon, err := receipt.DecodeCanonical(pretty)
	require.NoError(t, err)
	assert.Equal(t, canonical(t, s), canon, "DecodeCanonical returns JCS(envelope), not the bytes as sent")
}

// FuzzDecode feeds arbitrary bytes to Decode: it must never panic, and what
// it accepts must re-encode to bytes that decode to the same canonical form.
func FuzzDecode(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("..", "testdata", "receipt", "*.json"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		// The fixtures that wrap an envelope seed the corpus with it too.
		var c receipt.Countersigned
		if json.Unmarshal(b, &c) == nil && len(c.Envelope) > 0 {
			f.Add([]byte(c.Envelope))
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"receipt":null,"device":{}}`))
	f.Add([]byte(`{"receipt":{"purposes":[{"state":"given"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := receipt.Decode(data)
		if err != nil {
			if errs.Code(err) != errs.Invalid {
				t.Fatalf("Decode failed with code %q, want %q: %v", errs.Code(err), errs.Invalid, err)
			}
			return
		}
		first, err := s.Canonical()
		if err != nil {
			t.Fatalf("Canonical after Decode: %v", err)
		}
		again, err := receipt.Decode(first)
		if err != nil {
			t.Fatalf("canonical bytes do not decode: %v", err)
		}
		second, err := again.Canonical()
		if err != nil {
			t.Fatalf("Canonical after second Decode: %v", err)
		}
		if string(first) != string(second) {
			t.Fatalf("round trip not stable:\n%s\n%s", first, second)
		}
	})
}
