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

// ViewEvent is dispatched on the document once the wasm has put the view
// of the host's state in the page; gate.js takes the new form from there.
const ViewEvent = "kaiconn:view"

// Surface is the page's surface (html[data-surface]), "" when none.
func Surface() string {
	v := js.Global().Get("document").Get("documentElement").Call("getAttribute", "data-surface")
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// Run renders the page again for the host's ?state= when it was rendered
// without any state, and reports whether it did. It changes nothing on any
// other page, and nothing on a gate where the person has already decided.
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
	case "gate":
		var page consentview.GateView
		if json.Unmarshal(data, &page) != nil {
			return false
		}
		cats, err := Catalogues(page.Catalogues)
		if err != nil {
			return false
		}
		v, ok := Gate(cats, page, raw, q.Get("open") == "1", time.Now())
		if !ok {
			return false
		}
		r, err := RenderGate(v, page.Strings)
		if err != nil {
			return false
		}
		return showGate(doc, r)
	case "settings":
		var page consentview.SettingsView
		if json.Unmarshal(data, &page) != nil {
			return false
		}
		cats, err := Catalogues(page.Catalogues)
		if err != nil {
			return false
		}
		v, ok := Settings(cats, page, raw, time.Now())
		if !ok {
			return false
		}
		return showSettings(doc, stateEl, v)
	}
	return false
}

func attr(el js.Value, name string) string {
	v := el.Call("getAttribute", name)
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// showGate puts r in place of the gate's <main> and gate.js's page data,
// unless the person has decided on the page as it was (gate.js shows the
// result in place, main[data-mode=done]): that decision stands and its
// message has gone to the host.
func showGate(doc js.Value, r Rendered) bool {
	main := doc.Call("getElementById", "main")
	if attr(main, "data-mode") == consentview.GateDone {
		return false
	}
	main.Set("outerHTML", r.Main)
	script := doc.Call("getElementById", "kc-gate")
	switch {
	case r.Script == nil && script.Truthy():
		script.Call("remove")
	case r.Script != nil:
		if !script.Truthy() {
			script = doc.Call("createElement", "script")
			script.Set("type", "application/json")
			script.Set("id", "kc-gate")
			doc.Call("getElementById", "main").Call("after", script)
		}
		script.Set("textContent", string(r.Script))
	}
	title := doc.Get("title").String()
	if i := strings.Index(title, " · "); i >= 0 {
		doc.Set("title", r.Title+title[i:])
	}
	doc.Call("dispatchEvent", js.Global().Get("CustomEvent").New(ViewEvent))
	return true
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
