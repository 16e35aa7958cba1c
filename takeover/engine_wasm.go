//go:build wasm

package takeover

import (
	"encoding/json"
	"syscall/js"
	"time"

	"github.com/kaiconn/consent/consentview"
)

// Engine is the worker's hand-over (web/static/engine.js), set before the
// wasm runs in a worker: self.kaiconnEngine = {input, done}. The input is
// the page's data (#kc-state, as text), the host's state and the review
// flag; done takes the view's markup ({main, script, title}) or nothing.
func Engine() (js.Value, bool) {
	e := js.Global().Get("kaiconnEngine")
	return e, e.Truthy()
}

// Serve renders the gate's view of the host's state for a page rendered
// without state, in a worker: off the page's main thread, so that the
// wasm's start never holds up a tap. The page (boot.js) puts the markup in
// place of its own while the person has not decided.
func Serve(engine js.Value) {
	done := func(r map[string]any) { engine.Call("done", r) }
	in := engine.Get("input")
	var page consentview.GateView
	if in.Get("surface").String() != "gate" || json.Unmarshal([]byte(in.Get("page").String()), &page) != nil {
		done(map[string]any{})
		return
	}
	// A newer policy's catalogues, checked by the page (web: bundle's
	// newer.js), come beside the page's data, never in it.
	newer := in.Get("catalogues").Truthy()
	from := page.Catalogues
	if newer {
		from = json.RawMessage(in.Get("catalogues").String())
	}
	cats, err := Catalogues(from)
	if err != nil {
		done(map[string]any{"error": err.Error()})
		return
	}
	state, open, now := in.Get("state").String(), in.Get("open").Truthy(), time.Now()
	var v consentview.GateView
	var ok bool
	if newer {
		v, ok = Newer(cats, page, state, open, now)
	} else {
		v, ok = Gate(cats, page, state, open, now)
	}
	if !ok {
		done(map[string]any{})
		return
	}
	r, err := RenderGate(v, page.Strings)
	if err != nil {
		done(map[string]any{"error": err.Error()})
		return
	}
	out := map[string]any{"main": r.Main, "title": r.Title}
	if r.Script != nil {
		out["script"] = string(r.Script)
	}
	done(out)
}
