package components

import (
	"encoding/json"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The device outbox is web/static/outbox.js (docs/outbox.md), which the
// settings page loads beside the wasm: it keeps the device key, signs the
// receipts and sends them, with or without the wasm. The components only
// hand it the server's orders and ask it for the history, through the
// browser interface (window.kaiconnOutbox).

// Outcome is the server's JSON answer to a decision the wasm posted on the
// gate or in settings: the page's new state, an error message id (422), and
// the receipt the device is to sign.
type Outcome[V any] struct {
	View  V      `json:"view"`
	Error string `json:"error,omitempty"`
	// Receipt is the order of the receipt the device is to sign
	// (consentreceipt.Order, versioned by its "v"), absent when the server
	// attested the decision itself. The wasm passes it to outbox.js as it
	// came and never reads it, so it links none of the receipt code.
	Receipt json.RawMessage `json:"receipt,omitempty"`
}

// readOutcome decodes an answer; ok is false when there is none to use: no
// answer at all, not JSON, or a status other than 200 and 422.
func readOutcome[V any](status int, body []byte, err error) (out Outcome[V], ok bool) {
	if err != nil || json.Unmarshal(body, &out) != nil || (status != 200 && status != 422) {
		return out, false
	}
	return out, true
}

// recordOrder has the device outbox sign and keep an order's receipt. A
// failure is logged: the decision stands and the host app has it; only its
// proof is missing, which the settings page shows.
func recordOrder(order json.RawMessage) {
	if len(order) == 0 {
		return
	}
	web.recordReceipt(order, func(_ string, err error) {
		if err != nil {
			app.Log("receipt not recorded:", err)
		}
	})
}
