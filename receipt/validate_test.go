package receipt_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/receipt/receipttest"
)

func TestValidate(t *testing.T) {
	signer := receipt.GenerateEd25519Signer()
	first := newSigned(t, signer, "", "", t0)
	firstHash, err := first.Hash()
	require.NoError(t, err)

	resign := func(t *testing.T, edit func(p *receipt.Params)) *receipt.Signed {
		p := receipttest.Params(subject, "", t0)
		edit(&p)
		s, err := receipt.Sign(receipt.New(p), signer)
		require.NoError(t, err)
		return s
	}

	for _, tt := range []struct {
		name string
		s    func(t *testing.T) *receipt.Signed
		now  time.Time
		head string
		want string // "" for success
	}{
		{name: "OK", s: func(*testing.T) *receipt.Signed { return first }, now: t0},
		{name: "OKSecondLink", now: t0.Add(time.Hour), head: firstHash,
			s: func(t *testing.T) *receipt.Signed { return newSigned(t, signer, "", firstHash, t0.Add(time.Hour)) }},
		{name: "OKQueuedOffline", s: func(*testing.T) *receipt.Signed { return first }, now: t0.Add(29 * 24 * time.Hour)},
		{name: "OKSmallSkew", s: func(*testing.T) *receipt.Signed { return first }, now: t0.Add(-4 * time.Minute)},
		{name: "ErrBadSignature", now: t0, want: "device.sig: signature does not verify",
			s: func(t *testing.T) *receipt.Signed {
				s := *first
				s.Receipt.Decision = receipt.DecisionDeclined
				return &s
			}},
		{name: "ErrUnknownPolicy", now: t0, want: "receipt.policy.version: unknown policy version",
			s: func(t *testing.T) *receipt.Signed {
				return resign(t, func(p *receipt.Params) { p.PolicyVersion = "1999-01-01" })
			}},
		{name: "ErrPolicyHashOfOtherLanguage", now: t0, want: "receipt.policy.sha256: does not match",
			s: func(t *testing.T) *receipt.Signed {
				return resign(t, func(p *receipt.Params) { p.PolicySHA256 = receipttest.PolicySHA256(receipt.LangEn) })
			}},
		{name: "ErrUnknownPurpose", now: t0, want: "receipt.purposes[1].id: unknown purpose \"ads\"",
			s: func(t *testing.T) *receipt.Signed {
				return resign(t, func(p *receipt.Params) { p.Purposes[1].ID = "ads" })
			}},
		{name: "ErrFuture", s: func(*testing.T) *receipt.Signed { return first }, now: t0.Add(-6 * time.Minute),
			want: "receipt.issuedAt: more than 5m0s in the future"},
		{name: "ErrTooOld", s: func(*testing.T) *receipt.Signed { return first }, now: t0.Add(31 * 24 * time.Hour),
			want: "receipt.issuedAt: older than"},
		{name: "ErrChainFirstHasPrev", now: t0, want: "chain broken: the subject has no receipt yet",
			s: func(t *testing.T) *receipt.Signed { return newSigned(t, signer, "", firstHash, t0) }},
		{name: "ErrChainForked", now: t0, head: firstHash, want: "chain broken: not the hash of the subject's newest receipt",
			s: func(*testing.T) *receipt.Signed { return first }},
		{name: "ErrController", now: t0, want: "receipt.controller",
			s: func(t *testing.T) *receipt.Signed {
				r := receipt.New(receipttest.Params(subject, "", t0))
				r.Controller.Name = "Someone Else Ltd."
				s, err := receipt.Sign(r, signer)
				require.NoError(t, err)
				return s
			}},
		{name: "ErrServerAttestedPosted", now: t0, want: "attestation: must be device",
			s: func(t *testing.T) *receipt.Signed {
				s, err := receipt.Attest(receipt.New(receipttest.Params(subject, "", t0)))
				require.NoError(t, err)
				return s
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := receipttest.Validator(tt.now).Validate(tt.s(t), tt.head)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, errs.Unprocessable, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.want)
		})
	}
}

func TestValidateAttested(t *testing.T) {
	attest := func(t *testing.T, edit func(p *receipt.Params)) *receipt.Signed {
		p := receipttest.Params(subject, "", t0)
		edit(&p)
		s, err := receipt.Attest(receipt.New(p))
		require.NoError(t, err)
		return s
	}
	for _, tt := range []struct {
		name string
		s    func(t *testing.T) *receipt.Signed
		want string
	}{
		{name: "OK", s: func(t *testing.T) *receipt.Signed { return attest(t, func(*receipt.Params) {}) }},
		{name: "ErrDeviceSigned", want: "attestation: must be server",
			s: func(t *testing.T) *receipt.Signed { return newSigned(t, receipt.GenerateEd25519Signer(), "", "", t0) }},
		{name: "ErrPolicyHashOfOtherLanguage", want: "receipt.policy.sha256: does not match",
			s: func(t *testing.T) *receipt.Signed {
				return attest(t, func(p *receipt.Params) { p.PolicySHA256 = receipttest.PolicySHA256(receipt.LangEn) })
			}},
		{name: "ErrUnknownPurpose", want: "unknown purpose \"ads\"",
			s: func(t *testing.T) *receipt.Signed {
				return attest(t, func(p *receipt.Params) { p.Purposes[0].ID = "ads" })
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := receipttest.Validator(t0).ValidateAttested(tt.s(t), "")
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, errs.Unprocessable, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.want)
		})
	}
}

// ValidateSignedCanonical checks the device signature over the receipt's
// bytes taken from the envelope's canonical form: the same verdict as
// ValidateSigned, for every kind of receipt, tampered or not.
func TestValidateSignedCanonical(t *testing.T) {
	v := receipttest.Validator(t0)
	v1 := receipttest.Params(subject, "", t0)
	v2 := receipttest.ParamsV2(subject, "", t0)
	for _, tt := range []struct {
		name   string
		p      receipt.Params
		signer receipt.Signer
		tamper func(env []byte) []byte
	}{
		{"V1EdDSA", v1, receipt.GenerateEd25519Signer(), nil},
		{"V2EdDSA", v2, receipt.GenerateEd25519Signer(), nil},
		{"V2ES256", v2, receipt.GenerateES256Signer(), nil},
		{"ErrTamperedDecision", v2, receipt.GenerateEd25519Signer(), func(env []byte) []byte {
			return []byte(strings.Replace(string(env), `"decision":"agreed"`, `"decision":"updated"`, 1))
		}},
		{"ErrTamperedLastMember", v2, receipt.GenerateEd25519Signer(), func(env []byte) []byte {
			return []byte(strings.Replace(string(env), `"surface":"first-launch"`, `"surface":"settings"`, 1))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := receipt.Sign(receipt.New(tt.p), tt.signer)
			require.NoError(t, err)
			env, err := json.Marshal(s)
			require.NoError(t, err)
			if tt.tamper != nil {
				env = tt.tamper(env)
			}
			got, canon, err := receipt.DecodeCanonical(env)
			require.NoError(t, err)
			want := v.ValidateSigned(got)
			assert.Equal(t, want, v.ValidateSignedCanonical(got, canon))
			if tt.tamper != nil {
				require.Error(t, want)
				assert.Contains(t, errs.Message(want), "device.sig")
			} else {
				assert.NoError(t, want)
			}
		})
	}
	t.Run("ServerAttestedIsRefused", func(t *testing.T) {
		s, err := receipt.Attest(receipt.New(v2))
		require.NoError(t, err)
		canon, err := s.Canonical()
		require.NoError(t, err)
		err = v.ValidateSignedCanonical(s, canon)
		assert.Contains(t, errs.Message(err), "attestation: must be device")
	})
}
