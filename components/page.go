package components

import (
	"encoding/json"
	"errors"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// RootID is the id of the element every page's component renders as its
// root: the server renders the same element, and go-app replaces it.
const RootID = "kc-root"

// enhanced is called from every page component's OnMount. It marks the page
// as taken over (tests and styles wait for html[data-wasm=ready]) and hands
// link clicks back to the browser: every page is server-rendered, so a link
// needs a real navigation, not go-app's in-wasm routing.
func enhanced() {
	w := app.Window()
	w.Set("onclick", nil)
	w.Set("onpopstate", nil)
	w.Get("document").Get("documentElement").Call("setAttribute", "data-wasm", "ready")
}

// readState decodes the JSON the server put in <script id="kc-state"> into
// v, so a component starts from what the server rendered without asking the
// server again.
func readState(v any) error {
	if !app.IsClient {
		return errors.New("page state exists only in the browser")
	}
	el := app.Window().GetElementByID("kc-state")
	if !el.Truthy() {
		return errors.New("page has no kc-state")
	}
	return json.Unmarshal([]byte(el.Get("textContent").String()), v)
}
