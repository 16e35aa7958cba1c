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
// the page's surface and data (#kc-state, as text), the host's state and
// the review flag; done takes the view's markup or nothing. On the
// settings, Serve then sets kaiconnEngine.ask, which engine.js calls with
// each later request (a SettingsRequest as JSON) and whose answer it posts
// back.
func Engine() (js.Value, bool) {
	e := js.Global().Get("kaiconnEngine")
	return e, e.Truthy()
}

// Serve renders the view of the host's state for a page rendered without
// state, in a worker: off the page's main thread, so that the wasm's start
// never holds up a tap. The page (boot.js) puts the markup in place of its
// own. The gate's worker is done then; the settings' stays, to decide the
// changes the person makes (ServeSettings).
func Serve(engine js.Value) {
	done := func(r map[string]any) { engine.Call("done", r) }
	in := engine.Get("input")
	switch in.Get("surface").String() {
	case "gate":
		done(serveGate(in))
	case "settings":
		ServeSettings(engine, in)
	default:
		done(map[string]any{})
	}
}

func serveGate(in js.Value) map[string]any {
	var page consentview.GateView
	if json.Unmarshal([]byte(in.Get("page").String()), &page) != nil {
		return map[string]any{}
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
		return map[string]any{"error": err.Error()}
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
		return map[string]any{}
	}
	r, err := RenderGate(v, page.Strings)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	out := map[string]any{"main": r.Main, "title": r.Title}
	if r.Script != nil {
		out["script"] = string(r.Script)
	}
	return out
}

// ServeSettings answers a settings page rendered without state: first with
// the view of the host's state (none when there is none to show, or the
// server would refuse it: the page is right as it is), then, for as long as
// the page lives, each change the person makes (SettingsReply). It never
// returns: the worker's Go program stays to take the next request.
func ServeSettings(engine, in js.Value) {
	var page consentview.SettingsView
	if json.Unmarshal([]byte(in.Get("page").String()), &page) != nil {
		engine.Call("done", map[string]any{"error": "settings: the page's data"})
		return
	}
	cats, err := Catalogues(page.Catalogues)
	if err != nil {
		engine.Call("done", map[string]any{"error": err.Error()})
		return
	}
	engine.Call("done", jsAnswer(FirstSettings(cats, page, in.Get("state").String(), time.Now())))
	ask := js.FuncOf(func(_ js.Value, args []js.Value) any {
		var req SettingsRequest
		if len(args) == 0 || json.Unmarshal([]byte(args[0].String()), &req) != nil {
			return jsAnswer(SettingsReply{Error: "settings: the request"})
		}
		return jsAnswer(AnswerSettings(cats, page, req, time.Now(), NewReceiptID))
	})
	engine.Set("ask", ask)
	select {}
}

// jsAnswer is a reply as a JavaScript object, through its JSON: the one
// shape the page reads.
func jsAnswer(r SettingsReply) any {
	b, err := json.Marshal(r)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	return js.Global().Get("JSON").Call("parse", string(b))
}
