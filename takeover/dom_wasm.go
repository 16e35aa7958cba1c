//go:build wasm

package takeover

import (
	"encoding/json"
	"net/url"
	"strings"
	"syscall/js"
	"time"

	"github.com/kaiconn/consent/consentview"
)

// Surface is the page's surface (html[data-surface]), "" when none.
func Surface() string {
	v := js.Global().Get("document").Get("documentElement").Call("getAttribute", "data-surface")
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// Run hands the settings' component the view of the host's ?state= when
// the page was rendered without any state, and reports whether it did. It
// changes nothing on any other page. (The gate's view is rendered in a
// worker: Serve.)
func Run(surface string) bool {
	doc := js.Global().Get("document")
	main := doc.Call("getElementById", "main")
	if !main.Truthy() || attr(main, "data-rendered-for") != consentview.RenderedNone {
		return false
	}
	q, _ := url.ParseQuery(strings.TrimPrefix(js.Global().Get("location").Get("search").String(), "?"))
	raw := q.Get("state")
	stateEl := doc.Call("getElementById", "kc-state")
	if raw == "" || !stateEl.Truthy() {
		return false
	}
	data := []byte(stateEl.Get("textContent").String())
	switch surface {
	case "settings":
		var page consentview.SettingsView
		if json.Unmarshal(data, &page) != nil {
			return false
		}
		Yield()
		cats, err := Catalogues(page.Catalogues)
		if err != nil {
			return false
		}
		Yield()
		v, ok := Settings(cats, page, raw, time.Now())
		if !ok {
			return false
		}
		Yield()
		return showSettings(doc, stateEl, v)
	}
	return false
}

// Yield lets the page's main thread take what waits (a tap) between two
// steps of the wasm's start: a sleeping Go program hands control back to
// the browser until its timer fires. The start is then several tasks
// instead of one.
func Yield() { time.Sleep(time.Millisecond) }

func attr(el js.Value, name string) string {
	v := el.Call("getAttribute", name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// showSettings hands the go-app component the view of the host's state
// (#kc-state). A switch the person flipped before the wasm came stays
// flipped: each box is set to the host's answer, turned over where the
// person turned it over on the page as it was.
func showSettings(doc, stateEl js.Value, v consentview.SettingsView) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	for _, p := range v.Optional {
		box := doc.Call("getElementById", "kc-p-"+p.ID)
		shown := doc.Call("getElementById", "kc-p-"+p.ID+"-since")
		if !box.Truthy() || !shown.Truthy() {
			continue
		}
		flipped := box.Get("checked").Bool() != (attr(shown, "data-state") == "on")
		box.Set("checked", p.Granted != flipped)
	}
	stateEl.Set("textContent", string(b))
	return true
}
