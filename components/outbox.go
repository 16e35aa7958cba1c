package components

import (
	"context"
	"encoding/json"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/outbox"
)

// startOutbox opens this browser's outbox in the background when it has
// one, so that a page load sends the receipts an earlier visit left pending
// (and the "online" event those of this visit). A browser that never
// recorded a decision gets no device key from merely opening a page. Call
// it from a page component's OnMount. It never blocks the UI goroutine: the
// outbox waits for IndexedDB and WebCrypto promises.
func startOutbox(ctx app.Context) {
	if !app.IsClient {
		return
	}
	ctx.Async(func() {
		if !outbox.Exists(context.Background()) {
			return
		}
		if _, err := outbox.Browser(context.Background()); err != nil {
			app.Log("outbox unavailable:", err)
		}
	})
}

// recordDecision records d as a signed receipt in the outbox, off the UI
// goroutine, under the subject a names (the browser's, as the server's
// credential says; none offline), and calls done on the UI goroutine with
// the receipt id once the receipt is durable in this browser (not once the
// server has it). meta.ReceiptID is the id of the page's ticket (or minted
// when the person decided without one), so a double click records one
// receipt.
func recordDecision(ctx app.Context, d consent.Decision, meta consentreceipt.Meta, a outbox.Assignment, done func(ctx app.Context, receiptID string, err error)) {
	ctx.Async(func() {
		id, err := func() (string, error) {
			o, err := outbox.Browser(context.Background())
			if err != nil {
				return "", err
			}
			return o.RecordFor(context.Background(), d, meta, a)
		}()
		ctx.Dispatch(func(ctx app.Context) { done(ctx, id, err) })
	})
}

// ReceiptOrder is what the outbox needs to sign a decision's receipt: the
// decision as the server took it (or as the page took it offline), the
// receipt's metadata (its server-minted id, its notice and the ticket that
// names both), and the subject the server's credential puts it under, so
// server and device build the very same receipt.
type ReceiptOrder struct {
	Decision consent.Decision    `json:"decision"`
	Meta     consentreceipt.Meta `json:"meta"`
	// Subject is the subject the server recorded the decision for (the
	// browser's kc_sub); "" when the page took the decision offline and the
	// device keeps its own.
	Subject string `json:"subject,omitempty"`
	// PrevHash is the hash of Subject's newest receipt when the server
	// answered, "" for none: where a device new to Subject starts.
	PrevHash string `json:"prevHash,omitempty"`
}

// Outcome is the server's JSON answer to a decision the wasm posted on the
// gate or in settings: the page's new state, an error message id (422), and
// the receipt the device is to sign.
type Outcome[V any] struct {
	View    V             `json:"view"`
	Error   string        `json:"error,omitempty"`
	Receipt *ReceiptOrder `json:"receipt,omitempty"`
}

// readOutcome decodes an answer; ok is false when there is none to use: no
// answer at all, not JSON, or a status other than 200 and 422.
func readOutcome[V any](status int, body []byte, err error) (out Outcome[V], ok bool) {
	if err != nil || json.Unmarshal(body, &out) != nil || (status != 200 && status != 422) {
		return out, false
	}
	return out, true
}

// recordOrder records an order's receipt in the outbox. A failure is
// logged: the decision stands and the host app has it; only its proof is
// missing, which the settings page shows.
func recordOrder(ctx app.Context, o *ReceiptOrder) {
	if o == nil || !app.IsClient {
		return
	}
	a := outbox.Assignment{Subject: o.Subject, PrevHash: o.PrevHash}
	recordDecision(ctx, o.Decision, o.Meta, a, func(_ app.Context, _ string, err error) {
		if err != nil {
			app.Log("receipt not recorded:", err)
		}
	})
}

// downloadReceipts returns the device's countersigned receipts as the file
// `kaiconn-verify -chain` checks ("download my receipts"), on the UI
// goroutine.
func downloadReceipts(ctx app.Context, done func(ctx app.Context, history []byte, err error)) {
	ctx.Async(func() {
		b, err := func() ([]byte, error) {
			o, err := outbox.Browser(context.Background())
			if err != nil {
				return nil, err
			}
			return o.DownloadJSON(context.Background())
		}()
		ctx.Dispatch(func(ctx app.Context) { done(ctx, b, err) })
	})
}
