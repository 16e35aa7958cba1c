package receipt

import (
	"time"

	"github.com/kaiconn/consent/errs"
)

// PolicyHashFunc returns the hex SHA-256 of the text of policy version in
// language lang, and false when that version or language is unknown.
type PolicyHashFunc func(version, lang string) (sha string, ok bool)

// PurposeFunc tells whether purpose id exists in policy version.
type PurposeFunc func(version, id string) bool

// Default time window for issuedAt. Phones queue receipts while offline for
// hours or days, so the past is generous; the future allows for clock skew.
const (
	DefaultMaxAge  = 30 * 24 * time.Hour
	DefaultMaxSkew = 5 * time.Minute
)

// Validator decides whether a well-formed receipt is acceptable: signed by
// the key it carries, given under a known policy text and purposes, recent,
// and chained to the subject's newest receipt.
type Validator struct {
	PolicyHash   PolicyHashFunc
	PurposeKnown PurposeFunc
	Now          func() time.Time
	MaxAge       time.Duration // how old issuedAt may be; DefaultMaxAge when 0
	MaxSkew      time.Duration // how far in the future issuedAt may be; DefaultMaxSkew when 0
}

// NewValidator returns a Validator with the default time window; now is the
// clock (time.Now when nil).
func NewValidator(policyHash PolicyHashFunc, purposeKnown PurposeFunc, now func() time.Time) *Validator {
	if now == nil {
		now = time.Now
	}
	return &Validator{PolicyHash: policyHash, PurposeKnown: purposeKnown, Now: now}
}

// Validate checks s, a decoded envelope, against the policy catalogue, the
// clock and head, the hash of the subject's newest stored receipt ("" when
// it has none). Store.Put checks the chain link again atomically. Failures
// are errs.Unprocessable, with a message that says whether the policy, a
// purpose, the time, the signature or the chain is at fault.
//
// Validate is for receipts posted by devices: it refuses a server-attested
// envelope, so that nobody can post a receipt without a device signature.
func (v *Validator) Validate(s *Signed, head string) error {
	if err := v.ValidateSigned(s); err != nil {
		return err
	}
	return chain(&s.Receipt, head)
}

// ValidateSigned is Validate without the chain: everything a device's
// receipt must meet whoever its subject is. The API checks the chain itself,
// with one answer for every way a receipt may not extend a subject, so that
// it tells nobody whether a subject exists.
func (v *Validator) ValidateSigned(s *Signed) error {
	if err := s.check(); err != nil {
		return err
	}
	if s.Attestation != AttestationDevice {
		return errs.New(errs.Unprocessable, "attestation: must be device: only the server records server-attested receipts")
	}
	if err := s.VerifyDevice(); err != nil {
		return err
	}
	return v.validate(s)
}

// ValidateSignedCanonical is ValidateSigned for an envelope read with its
// canonical bytes (DecodeCanonical): the device signature is checked over
// the receipt's canonical bytes taken from canon, rather than computed
// again, which is most of what checking a signature costs besides the
// curve arithmetic.
func (v *Validator) ValidateSignedCanonical(s *Signed, canon []byte) error {
	msg := receiptInEnvelope(canon)
	if msg == nil {
		return v.ValidateSigned(s)
	}
	if err := s.check(); err != nil {
		return err
	}
	if s.Attestation != AttestationDevice {
		return errs.New(errs.Unprocessable, "attestation: must be device: only the server records server-attested receipts")
	}
	sig, err := b64.DecodeString(s.Device.Sig)
	if err != nil {
		return invalid("device.sig", "must be base64url without padding")
	}
	if err := s.verifyDeviceOver(msg, sig); err != nil {
		return err
	}
	return v.validate(s)
}

// ValidateAttested applies the rules of Validate but the device signature to
// a server-attested envelope the server is about to record, so that what the
// server vouches for meets the same rules as what devices sign.
func (v *Validator) ValidateAttested(s *Signed, head string) error {
	if err := s.check(); err != nil {
		return err
	}
	if s.Attestation != AttestationServer {
		return errs.New(errs.Unprocessable, "attestation: must be server")
	}
	if err := v.validate(s); err != nil {
		return err
	}
	return chain(&s.Receipt, head)
}

func (v *Validator) validate(s *Signed) error {
	r := &s.Receipt
	// A kaiconn-receipt/2 receipt names its controller only through its
	// notice, which this package does not build: consentreceipt.Check
	// compares that notice with the catalogue's.
	if r.Schema == SchemaV1 && r.Controller != Kaiconn {
		return errs.New(errs.Unprocessable, "receipt.controller: not this controller")
	}
	sha, ok := v.PolicyHash(r.Policy.Version, r.Language)
	if !ok {
		return errs.New(errs.Unprocessable, "receipt.policy.version: unknown policy version %q in language %s", r.Policy.Version, r.Language)
	}
	if sha != r.Policy.SHA256 {
		return errs.New(errs.Unprocessable, "receipt.policy.sha256: does not match the text of policy %s in %s", r.Policy.Version, r.Language)
	}
	for i, p := range r.Purposes {
		if !v.PurposeKnown(r.Policy.Version, p.ID) {
			return errs.New(errs.Unprocessable, "receipt.purposes[%d].id: unknown purpose %q in policy %s", i, p.ID, r.Policy.Version)
		}
	}
	now := v.now()
	issued := r.IssuedTime()
	if issued.After(now.Add(v.maxSkew())) {
		return errs.New(errs.Unprocessable, "receipt.issuedAt: more than %s in the future", v.maxSkew())
	}
	if issued.Before(now.Add(-v.maxAge())) {
		return errs.New(errs.Unprocessable, "receipt.issuedAt: older than %s", v.maxAge())
	}
	return nil
}

// chain checks that r extends the chain whose newest receipt has hash head.
func chain(r *Receipt, head string) error {
	if r.PrevHash != head {
		if head == "" {
			return errs.New(errs.Unprocessable, "receipt.prevHash: chain broken: the subject has no receipt yet, prevHash must be empty")
		}
		return errs.New(errs.Unprocessable, "receipt.prevHash: chain broken: not the hash of the subject's newest receipt")
	}
	return nil
}

func (v *Validator) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}

func (v *Validator) maxAge() time.Duration {
	if v.MaxAge <= 0 {
		return DefaultMaxAge
	}
	return v.MaxAge
}

func (v *Validator) maxSkew() time.Duration {
	if v.MaxSkew <= 0 {
		return DefaultMaxSkew
	}
	return v.MaxSkew
}
