package proof

import (
	"fmt"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Status is the outcome of one check of one receipt.
type Status int

const (
	// NotApplicable: the check does not apply (a server-attested receipt
	// has no device signature), or could not run because the receipt does
	// not decode.
	NotApplicable Status = iota
	OK
	Failed
)

// Result is one check's outcome; Message says why it failed, or what was
// checked.
type Result struct {
	Status  Status
	Message string
}

func failed(err error) Result { return Result{Status: Failed, Message: errs.Message(err)} }

// Item is one receipt of a chain, verified in place.
type Item struct {
	receipt.Countersigned
	// Signed is the decoded envelope; nil when it does not decode
	// (Decode then says why, and no other check ran).
	Signed *receipt.Signed
	// Hash is the hash of the envelope as decoded: what the next receipt
	// must name as its prevHash.
	Hash string
	// KeyID is the countersigning key, when the countersignature verified.
	KeyID string

	Decode           Result
	Device           Result // the device signature; NotApplicable when server-attested
	Countersignature Result // the server's countersignature, and the id, hash and kid claimed beside it
	Link             Result // prevHash names the receipt before (or is "" for the first), of the same subject
	Policy           Result // the policy text's hash
	Notices          Result // the shown notice and the notices it lists (kaiconn-receipt/2)

	// Texts is what the receipt says, reconstructed; partial when Policy
	// or Notices failed.
	Texts Texts
}

// OK reports whether every check that applies passed.
func (it Item) OK() bool {
	for _, r := range []Result{it.Decode, it.Device, it.Countersignature, it.Link, it.Policy, it.Notices} {
		if r.Status == Failed {
			return false
		}
	}
	return it.Decode.Status == OK
}

// Report is a chain verified receipt by receipt.
type Report struct {
	Subject string
	Items   []Item
}

// Err returns the first failure, naming its receipt, or nil when every
// receipt passed every check that applies to it.
func (r Report) Err() error {
	if len(r.Items) == 0 {
		return errs.New(errs.Invalid, "receipts: empty chain")
	}
	for i, it := range r.Items {
		for _, res := range []Result{it.Decode, it.Device, it.Countersignature, it.Link, it.Policy, it.Notices} {
			if res.Status == Failed {
				return errs.New(errs.Unprocessable, "receipts[%d]: %s", i, res.Message)
			}
		}
	}
	return nil
}

// Inspect verifies every receipt of h against jwks and src, each check on
// its own, so that one bad receipt does not hide what holds of the others:
// the device signature, the countersignature (and the id, hash and kid
// claimed beside it), the chain link, the policy hash and the notice
// hashes. It is receipt.VerifyChain and Sources.Check, receipt by receipt;
// Report.Err is nil exactly when both accept the chain.
func Inspect(h receipt.History, jwks []byte, src Sources) Report {
	rep := Report{Subject: h.Subject}
	prev, seen := "", map[string]bool{}
	subject := h.Subject
	for i, c := range h.Receipts {
		it := Item{Countersigned: c}
		s, err := receipt.Decode(c.Envelope)
		if err != nil {
			it.Decode = failed(err)
			// Nothing else can be said; the next link is judged against
			// the hash the store claims for this one.
			prev = c.Hash
			rep.Items = append(rep.Items, it)
			continue
		}
		it.Signed, it.Decode = s, Result{Status: OK}
		canon, err := s.Canonical()
		if err != nil {
			it.Decode = failed(err)
			rep.Items = append(rep.Items, it)
			continue
		}
		it.Hash = receipt.HashBytes(canon)

		if s.Attestation == receipt.AttestationDevice {
			if err := s.VerifyDevice(); err != nil {
				it.Device = failed(err)
			} else {
				it.Device = Result{Status: OK, Message: s.Device.Alg}
			}
		} else {
			it.Device = Result{Status: NotApplicable, Message: "server-attested"}
		}

		it.Countersignature = countersignature(c, canon, it.Hash, jwks, &it.KeyID)

		if subject == "" {
			subject = s.Receipt.Subject
		}
		switch {
		case s.Receipt.Subject != subject:
			it.Link = Result{Status: Failed, Message: "belongs to another subject"}
		case seen[s.Receipt.ID]:
			it.Link = Result{Status: Failed, Message: "receipt id appears twice"}
		case i == 0 && s.Receipt.PrevHash != "":
			it.Link = Result{Status: Failed, Message: "chain broken: the first receipt must have an empty prevHash"}
		case s.Receipt.PrevHash != prev:
			it.Link = Result{Status: Failed, Message: fmt.Sprintf("chain broken: prevHash is not the hash of receipts[%d]", i-1)}
		case i == 0:
			it.Link = Result{Status: OK, Message: "first receipt of the subject"}
		default:
			it.Link = Result{Status: OK, Message: "prevHash " + s.Receipt.PrevHash}
		}
		seen[s.Receipt.ID] = true
		prev = it.Hash

		t, err := src.CheckPolicy(&s.Receipt)
		switch {
		case err != nil:
			it.Policy = failed(err)
		case t.PolicyFile == "":
			it.Policy = Result{Status: NotApplicable, Message: "policy text not among the sources"}
		default:
			it.Policy = Result{Status: OK, Message: t.PolicyFile}
		}
		nt, err := src.CheckNotices(&s.Receipt)
		switch {
		case err != nil:
			it.Notices = failed(err)
		case !s.Receipt.NamesNotice():
			it.Notices = Result{Status: NotApplicable, Message: "texts inline (kaiconn-receipt/1)"}
		default:
			it.Notices = Result{Status: OK, Message: fmt.Sprintf("%d notices", nt.Checked)}
		}
		nt.PolicyFile, nt.PolicyText, nt.Checked = t.PolicyFile, t.PolicyText, t.Checked+nt.Checked
		it.Texts = nt
		rep.Items = append(rep.Items, it)
	}
	if rep.Subject == "" {
		rep.Subject = subject
	}
	return rep
}

// countersignature checks c's countersignature over the canonical envelope
// and the id, hash and kid c claims beside it, as Countersigned.Verify does.
func countersignature(c receipt.Countersigned, canon []byte, hash string, jwks []byte, kid *string) Result {
	k, err := receipt.VerifyCountersignature(canon, c.Countersignature, jwks)
	if err != nil {
		return failed(err)
	}
	s, _ := receipt.Decode(canon)
	switch {
	case c.ID != "" && c.ID != s.Receipt.ID:
		return Result{Status: Failed, Message: "id: is not the envelope's receipt id"}
	case c.Hash != "" && c.Hash != hash:
		return Result{Status: Failed, Message: "hash: is not the hash of the envelope"}
	case c.KeyID != "" && c.KeyID != k:
		return Result{Status: Failed, Message: "kid: is not the countersignature's key id"}
	}
	*kid = k
	return Result{Status: OK, Message: k}
}
