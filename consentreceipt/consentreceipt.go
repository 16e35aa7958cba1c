package consentreceipt

import (
	"slices"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// Validity is how long a receipt says a given consent lasts. The format asks
// for an expiry on every given purpose; a person is asked again when the
// policy changes anyway, and a year keeps a consent from being presumed
// forever on a device nobody opens.
const Validity = 365 * 24 * time.Hour

// PurposeInfo is what a receipt says of a purpose that the decision does
// not: who receives the data, which data, and which kind of consent PIPL
// asks for it. The texts are in the language the person was shown.
type PurposeInfo struct {
	Recipient      string   `json:"recipient"`
	DataCategories []string `json:"dataCategories"`
	ConsentType    string   `json:"consentType"` // receipt.ConsentTypeConsent or receipt.ConsentTypeSeparate
	Required       bool     `json:"required,omitempty"`
}

// Meta is what a receipt needs beyond the decision.
//
// A Meta with a Notice builds a kaiconn-receipt/3 receipt (or /2, when
// Schema asks for it), which names its texts by that one reference; one
// without builds kaiconn-receipt/1 from Purposes, as clients that predate
// v2 do.
type Meta struct {
	// ReceiptID is the receipt's id, a UUID v4 minted by the surface when
	// the person decided, so that recording the same decision twice (a
	// double click, a retried request) never makes two receipts.
	ReceiptID string `json:"receiptId"`
	// PolicySHA256 is the hex SHA-256 of the policy text in the language
	// the person was shown (decision.Lang).
	PolicySHA256 string `json:"policySha256"`
	// Purposes describes every purpose of the decision, by id (v1).
	Purposes map[consent.PurposeID]PurposeInfo `json:"purposes"`
	// Previous is the decision this one replaces on the same audience (the
	// app's or the website's), nil when there is none. A purpose granted in
	// Previous and refused now is recorded as withdrawn, not refused: PIPL
	// art. 15 treats taking a consent back differently from never giving it.
	Previous *consent.Decision `json:"previous,omitempty"`
	// Notice is the reference of the notice of everything the surface
	// showed, notice.For of the decision's catalogue, surface and language
	// (v2).
	Notice string `json:"notice,omitempty"`
	// Confirmed are facts the person confirmed on the surface, such as
	// "age-18" (v2 only), beside the decision's own (consent.Decision.
	// Confirmed, where the server and the gate put them); the receipt
	// records both, each once, in id order.
	Confirmed []string `json:"confirmed,omitempty"`
	// Schema is receipt.SchemaV2 to build the receipt a client that
	// predates kaiconn-receipt/3 builds, which records required processing
	// as given; "" builds the current format. It is for tests of how old
	// receipts are read; a surface leaves it empty.
	Schema string `json:"schema,omitempty"`
	// Ticket is the server-minted ticket the surface was rendered with,
	// carried to the server beside the receipt; it is not part of the
	// receipt.
	Ticket string `json:"ticket,omitempty"`
}

// Purposes describes the purposes of surface from the catalogue, with texts
// in lang: the recipient, the personal information collected (or, for a
// cookie category that names none, its cookies) and the consent type.
func Purposes(cat *consent.Catalogue, surface consent.Surface, lang string) map[consent.PurposeID]PurposeInfo {
	m := map[consent.PurposeID]PurposeInfo{}
	for _, p := range cat.Purposes(surface) {
		m[p.ID] = PurposeInfo{
			Recipient:      notice.Recipient(p, lang),
			DataCategories: notice.DataCategories(p, lang),
			ConsentType:    string(p.ConsentType),
			Required:       p.Required,
		}
	}
	return m
}

// WithdrawText is notice.WithdrawText: how to take back a consent to an
// optional purpose, in lang.
func WithdrawText(lang string) string { return notice.WithdrawText(lang) }

// RequiredText is notice.RequiredText: why the required processing has no
// withdrawal of its own, in lang.
func RequiredText(lang string) string { return notice.RequiredText(lang) }

// Params returns the receipt parameters of decision d by subject, chained to
// prevHash (the hash of the subject's previous receipt, "" for the first):
// kaiconn-receipt/2 when m has a Notice, kaiconn-receipt/1 otherwise. It
// fails with errs.Invalid naming the field when m lacks something the
// receipt needs.
func Params(d consent.Decision, m Meta, subject, prevHash string) (receipt.Params, error) {
	if m.ReceiptID == "" {
		return receipt.Params{}, errs.New(errs.Invalid, "meta.receiptId: required; mint it when the person decides")
	}
	if m.PolicySHA256 == "" {
		return receipt.Params{}, errs.New(errs.Invalid, "meta.policySha256: required")
	}
	if len(d.Choices) == 0 {
		return receipt.Params{}, errs.New(errs.Invalid, "decision.choices: empty")
	}
	v2 := m.Notice != ""
	confirmed := slices.Concat(d.Confirmed, m.Confirmed)
	if !v2 && len(confirmed) > 0 {
		return receipt.Params{}, errs.New(errs.Invalid, "meta.confirmed: only a kaiconn-receipt/2 receipt records confirmed facts; give meta.notice")
	}
	at := d.At.UTC().Truncate(time.Millisecond)
	p := receipt.Params{
		ID:            m.ReceiptID,
		Subject:       subject,
		Surface:       string(d.Surface),
		Language:      d.Lang,
		PolicyVersion: d.PolicyVersion,
		PolicySHA256:  m.PolicySHA256,
		Decision:      string(d.Kind),
		IssuedAt:      at,
		PrevHash:      prevHash,
		Purposes:      make([]receipt.PurposeParams, 0, len(d.Choices)),
	}
	if v2 {
		p.Schema = receipt.SchemaV3
		if m.Schema == receipt.SchemaV2 {
			p.Schema = receipt.SchemaV2
		}
		p.Notice = m.Notice
		if len(confirmed) > 0 {
			p.Confirmed = slices.Compact(slices.Sorted(slices.Values(confirmed)))
		}
	}
	for _, c := range d.Choices {
		pp := receipt.PurposeParams{ID: string(c.Purpose)}
		if !v2 {
			info, ok := m.Purposes[c.Purpose]
			if !ok {
				return receipt.Params{}, errs.New(errs.Invalid, "meta.purposes[%s]: missing", string(c.Purpose))
			}
			pp.Recipient = info.Recipient
			pp.DataCategories = slices.Clone(info.DataCategories)
			pp.ConsentType = info.ConsentType
			pp.Time = at
			pp.WithdrawText = WithdrawText(d.Lang)
			if c.Required || info.Required {
				pp.WithdrawText = RequiredText(d.Lang)
			}
		}
		pp.State = state(c, m.Previous, p.Schema == receipt.SchemaV3)
		if pp.State == receipt.StateGiven {
			pp.ExpiresAt = at.Add(Validity)
		}
		p.Purposes = append(p.Purposes, pp)
	}
	return p, nil
}

// state is the receipt state of choice c, given the decision it replaces
// on the same audience (nil when none): necessary for required processing
// when the format has the state (kaiconn-receipt/3), since it rests on
// necessity for the service and not on consent (PIPL art. 13(1)(2)); given
// when granted, withdrawn when previous had it granted, refused otherwise.
func state(c consent.Choice, previous *consent.Decision, necessary bool) string {
	switch {
	case c.Required && necessary:
		return receipt.StateNecessary
	case c.Granted:
		return receipt.StateGiven
	case previous != nil && previous.Granted(c.Purpose):
		return receipt.StateWithdrawn
	}
	return receipt.StateRefused
}

// SameAudience tells whether two surfaces show the same purposes (the app's
// first-launch dialog and settings do; the website's banner does not), that
// is whether a decision on one replaces a decision on the other.
func SameAudience(a, b consent.Surface) bool {
	return a.Audience() == b.Audience()
}

// ConsistentKind returns the kind a receipt of d chained after previous
// (the decision of the subject's previous receipt on the same audience, nil
// when none) may state: d's own, except that a withdrawal which gives an
// optional purpose previous did not give is an update. It happens when the
// surface knew of a grant the subject's chain does not hold (a cookie, the
// host app, a device whose chain diverged); Check refuses such a
// withdrawal.
func ConsistentKind(d consent.Decision, previous *consent.Decision) consent.Kind {
	if d.Kind != consent.KindWithdrawn {
		return d.Kind
	}
	for _, c := range d.Choices {
		if c.Granted && !c.Required && (previous == nil || !previous.Granted(c.Purpose)) {
			return consent.KindUpdated
		}
	}
	return d.Kind
}
