package components

import (
	"net/url"
	"strconv"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Browser is what components ask of the page outside their own tree. The
// real one talks to the DOM through go-app (inert on the server); host tests
// plug in a recorder.
type Browser interface {
	// ReplaceURL changes the address bar without a navigation, so a reload
	// or a shared link shows what the reader sees now.
	ReplaceURL(u string)
	// SetCookie stores a first-party setting the reader chose, except
	// under Global Privacy Control, when nothing is stored.
	SetCookie(name, value string, maxAgeSeconds int)
	// TopmostID returns the id of the first element matching selector whose
	// box is at or below the top of the viewport: the reader's place.
	TopmostID(selector string) string
	// ScrollTo brings the element with id into view.
	ScrollTo(id string)
	// SetPage sets <html lang> and the document title.
	SetPage(lang, title string)
	// Navigate loads u as a link would.
	Navigate(u string)
	Print()
}

type domBrowser struct{}

func (domBrowser) ReplaceURL(u string) {
	app.Window().Get("history").Call("replaceState", nil, "", u)
}

func (domBrowser) SetCookie(name, value string, maxAge int) {
	// The browser says its person asked that nothing be kept about them:
	// the language is then chosen anew on each visit.
	if app.Window().Get("navigator").Get("globalPrivacyControl").Truthy() {
		return
	}
	app.Window().Get("document").Set("cookie",
		name+"="+url.QueryEscape(value)+"; Path=/; Max-Age="+strconv.Itoa(maxAge)+"; SameSite=Lax")
}

func (domBrowser) TopmostID(selector string) string {
	els := app.Window().Get("document").Call("querySelectorAll", selector)
	n := els.Get("length").Int()
	for i := 0; i < n; i++ {
		el := els.Index(i)
		if el.Call("getBoundingClientRect").Get("bottom").Float() > 80 {
			return el.Get("id").String()
		}
	}
	return ""
}

func (domBrowser) ScrollTo(id string) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("scrollIntoView", map[string]any{"block": "start"})
	}
}

func (domBrowser) SetPage(lang, title string) {
	doc := app.Window().Get("document")
	doc.Get("documentElement").Call("setAttribute", "lang", lang)
	doc.Set("title", title)
}

func (domBrowser) Navigate(u string) { app.Window().Get("location").Set("href", u) }

func (domBrowser) Print() { app.Window().Call("print") }

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
	// stylesheet is the URL the server's page loads the stylesheet name
	// from (content-hashed, views.Asset), so that the component's root,
	// which replaces the server's, names the same file and the browser
	// does not fetch it again.
	stylesheet(name string) string
}
