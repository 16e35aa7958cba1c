package consentreceipt

import (
	"slices"
	"strings"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
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
type Meta struct {
	// ReceiptID is the receipt's id, a UUID v4 minted by the surface when
	// the person decided, so that recording the same decision twice (a
	// double click, a retried request) never makes two receipts.
	ReceiptID string `json:"receiptId"`
	// PolicySHA256 is the hex SHA-256 of the policy text in the language
	// the person was shown (decision.Lang).
	PolicySHA256 string `json:"policySha256"`
	// Purposes describes every purpose of the decision, by id.
	Purposes map[consent.PurposeID]PurposeInfo `json:"purposes"`
	// Previous is the decision this one replaces on the same audience (the
	// app's or the website's), nil when there is none. A purpose granted in
	// Previous and refused now is recorded as withdrawn, not refused: PIPL
	// art. 15 treats taking a consent back differently from never giving it.
	Previous *consent.Decision `json:"previous,omitempty"`
}

// Purposes describes the purposes of surface from the catalogue, with texts
// in lang: the recipient, the personal information collected (or, for a
// cookie category that names none, its cookies) and the consent type.
func Purposes(cat *consent.Catalogue, surface consent.Surface, lang string) map[consent.PurposeID]PurposeInfo {
	m := map[consent.PurposeID]PurposeInfo{}
	for _, p := range cat.Purposes(surface) {
		m[p.ID] = PurposeInfo{
			Recipient:      Recipient(p, lang),
			DataCategories: DataCategories(p, lang),
			ConsentType:    string(p.ConsentType),
			Required:       p.Required,
		}
	}
	return m
}

// Recipient names who receives the data of purpose p, in lang: the
// catalogue's recipient and, for a third-party SDK, the SDK after a dash. A
// separate consent (PIPL art. 23) is given to one SDK, not to its provider
// at large, so the receipt must show which.
func Recipient(p consent.Purpose, lang string) string {
	name := p.Recipient.In(lang)
	if sdk := p.SDK.In(lang); sdk != "" {
		return name + " — " + sdk
	}
	return name
}

// DataCategories names the personal information a purpose processes, as the
// policy words it: the items of the collected information when the catalogue
// has it, the cookies a web category sets otherwise, and the purpose's title
// as a last resort (the strictly necessary cookies name neither).
func DataCategories(p consent.Purpose, lang string) []string {
	if cats := SplitCategories(p.Collects.In(lang)); len(cats) > 0 {
		return cats
	}
	if len(p.Cookies) > 0 {
		return slices.Clone(p.Cookies)
	}
	return []string{p.Title.In(lang)}
}

// SplitCategories splits a "collects" text of the policy into its items, so
// that a receipt lists each kind of data on its own. The policy separates
// items with Latin and Chinese commas, enumeration commas (、), semicolons
// and colons (a colon ends a heading such as "the mobile device information
// necessary for ...", which is itself an item). A separator inside
// parentheses, Latin or Chinese, belongs to the item: "product usage
// (crashes, flashbacks)" is one item. The final "and" of an English list
// and a closing full stop are not part of an item; an item named twice is
// listed once.
func SplitCategories(text string) []string {
	var (
		items []string
		item  strings.Builder
		depth int
	)
	flush := func() {
		c := strings.TrimSpace(item.String())
		item.Reset()
		c = strings.TrimSpace(strings.TrimRight(c, ".\u3002"))
		c = strings.TrimPrefix(c, "and ")
		if c != "" && !slices.Contains(items, c) {
			items = append(items, c)
		}
	}
	for _, r := range text {
		switch r {
		case '(', '\uff08': // Latin and fullwidth
			depth++
		case ')', '\uff09':
			depth = max(depth-1, 0)
		case ',', '\uff0c', '\u3001', ';', '\uff1b', ':', '\uff1a':
			if depth == 0 {
				flush()
				continue
			}
		}
		item.WriteRune(r)
	}
	flush()
	return items
}

// Withdrawal texts, in the language of the decision. Every purpose carries
// one beside receipt.WithdrawURL; the required processing carries its own,
// since it cannot be withdrawn alone and a receipt must not promise it can.
var (
	withdrawText = map[string]string{
		consent.LangZhHans: "您可以随时在“隐私设置”中撤回同意,撤回与给予同意一样便捷;撤回不影响撤回前基于您的同意已进行的个人信息处理活动。",
		consent.LangEn:     "You can withdraw this consent at any time in Privacy settings, as easily as you gave it; withdrawal does not affect processing carried out on the basis of your consent before it.",
	}
	requiredText = map[string]string{
		consent.LangZhHans: "基本功能所必需的处理无法单独撤回;注销账号即终止该处理。",
		consent.LangEn:     "The processing required for the basic functions cannot be withdrawn on its own; cancelling the account ends it.",
	}
)

// WithdrawText tells, in lang, how to take back a consent to an optional
// purpose ("" for a language the policy is not written in).
func WithdrawText(lang string) string { return withdrawText[lang] }

// RequiredText tells, in lang, why the required processing has no
// withdrawal of its own and what ends it ("" for an unknown language).
func RequiredText(lang string) string { return requiredText[lang] }

// Params returns the receipt parameters of decision d by subject, chained to
// prevHash (the hash of the subject's previous receipt, "" for the first).
// It fails with errs.Invalid naming the field when m lacks something the
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
	for _, c := range d.Choices {
		info, ok := m.Purposes[c.Purpose]
		if !ok {
			return receipt.Params{}, errs.New(errs.Invalid, "meta.purposes[%s]: missing", string(c.Purpose))
		}
		pp := receipt.PurposeParams{
			ID:             string(c.Purpose),
			Recipient:      info.Recipient,
			DataCategories: slices.Clone(info.DataCategories),
			ConsentType:    info.ConsentType,
			Time:           at,
			WithdrawText:   WithdrawText(d.Lang),
		}
		if c.Required || info.Required {
			pp.WithdrawText = RequiredText(d.Lang)
		}
		switch {
		case c.Granted:
			pp.State = receipt.StateGiven
			pp.ExpiresAt = at.Add(Validity)
		case m.Previous != nil && m.Previous.Granted(c.Purpose):
			pp.State = receipt.StateWithdrawn
		default:
			pp.State = receipt.StateRefused
		}
		p.Purposes = append(p.Purposes, pp)
	}
	return p, nil
}

// SameAudience tells whether two surfaces show the same purposes (the app's
// first-launch dialog and settings do; the website's banner does not), that
// is whether a decision on one replaces a decision on the other.
func SameAudience(a, b consent.Surface) bool {
	return (a == consent.SurfaceWebBanner) == (b == consent.SurfaceWebBanner)
}
