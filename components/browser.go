package components

import "net/url"

// browser is what the settings need from the page beyond rendering:
// posting a form, handing a message to the host app, reading what the
// person did before the wasm arrived. browser_wasm.go implements it; on
// the host it is a fake, so the logic around it runs in tests.
type browser interface {
	// postForm posts form to path asking for JSON, and calls done on the UI
	// goroutine with the status and body (or err when nothing came back).
	postForm(path string, form url.Values, done func(status int, body []byte, err error))
	// deliver hands a decision to the host app once (bridge.js).
	deliver(m BridgeMessage)
	// formState reads the server-rendered form as the person left it.
	formState(formID string) (ticked []string, adult bool, ok bool)
	focus(id string)
	// activeID is the id of the focused element, "" when none has one.
	activeID() string
	// property reads the boolean DOM property name ("checked", "open") of
	// the element with id, false when there is none; setProperty sets it.
	property(id, name string) bool
	setProperty(id, name string, v bool)
	// saveFile offers data to the person as a download named name.
	saveFile(name, mime string, data []byte)
	// deviceReceipts reports whether this browser can sign and keep its
	// own receipts: outbox.js is loaded and finds IndexedDB and WebCrypto
	// (kaiconnOutbox.supported()).
	deviceReceipts() bool
	// recordReceipt hands a receipt order to outbox.js
	// (kaiconnOutbox.record) and calls done with the receipt id once the
	// receipt is durable in this browser, or with what went wrong.
	recordReceipt(order []byte, done func(receiptID string, err error))
	// deviceHistory asks outbox.js for the device's countersigned receipts
	// (kaiconnOutbox.download), the file kaiconn-verify -chain checks.
	deviceHistory(done func(history []byte, err error))
}
