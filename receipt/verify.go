package receipt

import (
	"fmt"

	"github.com/kaiconn/consent/errs"
)

// VerifyCountersigned checks, offline, that envelopeJSON is a well-formed
// receipt envelope whose device signature verifies (when it is
// device-signed), and that jws is a countersignature over its canonical bytes
// by a key in jwks. A server-attested envelope has no device signature: the
// countersignature alone vouches for it, and the attestation member it covers
// says so. The countersignature may be detached ("<protected>..<signature>",
// as Keyring.Countersign writes it; the payload is the envelope's canonical
// bytes) or carry its payload (as stored before detached ones), which must
// then be the envelope's canonical bytes. Failures are errs.Invalid for
// malformed input and errs.Unprocessable otherwise.
func VerifyCountersigned(envelopeJSON, jws []byte, jwks []byte) error {
	_, _, err := verifyCountersigned(envelopeJSON, jws, jwks)
	return err
}

func verifyCountersigned(envelopeJSON, jws []byte, jwks []byte) (s *Signed, kid string, err error) {
	s, err = Decode(envelopeJSON)
	if err != nil {
		return nil, "", err
	}
	if s.Attestation == AttestationDevice {
		if err := s.VerifyDevice(); err != nil {
			return nil, "", err
		}
	}
	canon, err := s.Canonical()
	if err != nil {
		return nil, "", err
	}
	kid, err = VerifyCountersignature(canon, string(jws), jwks)
	if err != nil {
		return nil, "", err
	}
	return s, kid, nil
}

// Verify checks c offline against jwks: the device signature (of a
// device-signed envelope), the countersignature, detached or not, and that
// the id, hash and kid it claims are the envelope's. It returns the decoded
// envelope.
func (c Countersigned) Verify(jwks []byte) (*Signed, error) {
	s, kid, err := verifyCountersigned(c.Envelope, []byte(c.Countersignature), jwks)
	if err != nil {
		return nil, err
	}
	hash, err := s.Hash()
	if err != nil {
		return nil, err
	}
	switch {
	case c.ID != "" && c.ID != s.Receipt.ID:
		return nil, errs.New(errs.Unprocessable, "id: is not the envelope's receipt id")
	case c.Hash != "" && c.Hash != hash:
		return nil, errs.New(errs.Unprocessable, "hash: is not the hash of the envelope")
	case c.KeyID != "" && c.KeyID != kid:
		return nil, errs.New(errs.Unprocessable, "kid: is not the countersignature's key id")
	}
	return s, nil
}

// VerifyChain checks a subject's whole history offline: every device
// signature (server-attested receipts have none), every countersignature, and every link (the first receipt has
// prevHash "", each next one the hash of the one before), all of one subject.
// A tombstone is a link whose id and hash are taken as given: its body is
// gone, so nothing of it can be checked but that it links (its prevHash is
// the hash before it, and the next receipt names its hash).
func VerifyChain(h History, jwks []byte) error {
	if len(h.Receipts) == 0 {
		return errs.New(errs.Invalid, "receipts: empty chain")
	}
	prev, subject := "", h.Subject
	seen := map[string]bool{}
	for i, c := range h.Receipts {
		at := fmt.Sprintf("receipts[%d]", i)
		if c.Tombstone != nil {
			switch {
			case len(c.Envelope) != 0:
				return errs.New(errs.Unprocessable, "%s: a tombstone has no envelope", at)
			case c.ID == "" || c.Hash == "":
				return errs.New(errs.Unprocessable, "%s: a tombstone keeps its id and hash", at)
			case seen[c.ID]:
				return errs.New(errs.Unprocessable, "%s: receipt id appears twice", at)
			case c.PrevHash != prev:
				return errs.New(errs.Unprocessable, "%s: chain broken: prevHash is not the hash of receipts[%d]", at, i-1)
			}
			seen[c.ID] = true
			prev = c.Hash
			continue
		}
		s, err := c.Verify(jwks)
		if err != nil {
			return errs.New(errs.Code(err), "%s: %s", at, errs.Message(err))
		}
		if subject == "" {
			subject = s.Receipt.Subject
		}
		if s.Receipt.Subject != subject {
			return errs.New(errs.Unprocessable, "%s: belongs to another subject", at)
		}
		if seen[s.Receipt.ID] {
			return errs.New(errs.Unprocessable, "%s: receipt id appears twice", at)
		}
		seen[s.Receipt.ID] = true
		switch {
		case i == 0 && s.Receipt.PrevHash != "":
			return errs.New(errs.Unprocessable, "%s: chain broken: the first receipt must have an empty prevHash", at)
		case s.Receipt.PrevHash != prev:
			return errs.New(errs.Unprocessable, "%s: chain broken: prevHash is not the hash of receipts[%d]", at, i-1)
		}
		if prev, err = s.Hash(); err != nil {
			return err
		}
	}
	return nil
}
