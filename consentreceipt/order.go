package consentreceipt

import (
	"encoding/json"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/receipt"
)

// OrderVersion is the version of Order's JSON. Version 1 (no "v") carried
// the decision and its Meta, and the browser built the receipt itself;
// version 2 carries the receipt.
const OrderVersion = 2

// Order is what a device needs to sign the receipt of a decision the
// server took and will not attest itself: the receipt as the server
// derived it from its catalogue, unsigned, under the subject and after the
// head the server's credential names. The browser's outbox
// (web/static/outbox.js, docs/outbox.md) signs it as it is; it changes only
// what the chain decides (prevHash, and with it which purposes are
// withdrawn rather than refused, and whether a withdrawal is an update)
// when it must chain the receipt after another one.
type Order struct {
	V int `json:"v"`
	// Receipt is JCS of the unsigned receipt: the very bytes a device key
	// signs, as long as the receipt stays on the server's head.
	Receipt json.RawMessage `json:"receipt"`
	// Ticket is the server-minted ticket that named the receipt id; the
	// device sends it beside the receipt, so that its key may join the
	// subject. It is not part of the receipt.
	Ticket string `json:"ticket,omitempty"`
	// Required are the decision's required purposes: a withdrawal that
	// gives only those stays a withdrawal when the device chains it anew.
	Required []string `json:"required,omitempty"`
}

// NewOrder returns the order of decision d by subject, after prevHash,
// with m's receipt id, notice and ticket: the receipt Params builds.
func NewOrder(d consent.Decision, m Meta, subject, prevHash string) (*Order, error) {
	p, err := Params(d, m, subject, prevHash)
	if err != nil {
		return nil, err
	}
	canon, err := receipt.New(p).Canonical()
	if err != nil {
		return nil, err
	}
	o := &Order{V: OrderVersion, Receipt: canon, Ticket: m.Ticket}
	for _, c := range d.Choices {
		if c.Required {
			o.Required = append(o.Required, string(c.Purpose))
		}
	}
	return o, nil
}

// Unsigned decodes the order's receipt.
func (o *Order) Unsigned() (*receipt.Receipt, error) {
	var r receipt.Receipt
	if err := json.Unmarshal(o.Receipt, &r); err != nil {
		return nil, err
	}
	return &r, nil
}
