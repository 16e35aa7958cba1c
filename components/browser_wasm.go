//go:build wasm

package components

import (
	"encoding/json"
	"errors"
	"net/url"
	"syscall/js"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// web is the real browser.
var web browser = jsBrowser{}

// errNoResponse is the failure of a post that got no answer at all.
var errNoResponse = errors.New("no response")

type jsBrowser struct{}

func (jsBrowser) postForm(path string, form url.Values, done func(int, []byte, error)) {
	w := app.Window()
	headers := map[string]any{
		"Accept":       "application/json",
		"Content-Type": "application/x-www-form-urlencoded",
	}
	opts := map[string]any{"method": "POST", "headers": headers, "body": form.Encode(), "credentials": "same-origin"}
	var onResp, onText, onErr app.Func
	release := func() {
		for _, f := range []app.Func{onResp, onText, onErr} {
			if f != nil {
				f.Release()
			}
		}
	}
	status := 0
	onText = app.FuncOf(func(this app.Value, args []app.Value) any {
		body := args[0].String()
		release()
		done(status, []byte(body), nil)
		return nil
	})
	onErr = app.FuncOf(func(this app.Value, args []app.Value) any {
		release()
		done(0, nil, errNoResponse)
		return nil
	})
	onResp = app.FuncOf(func(this app.Value, args []app.Value) any {
		status = args[0].Get("status").Int()
		return args[0].Call("text").Call("then", onText, onErr)
	})
	w.Call("fetch", path, opts).Call("then", onResp, onErr)
}

func (jsBrowser) deliver(m BridgeMessage) {
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	kc := app.Window().Get("KaiconnConsent")
	if !kc.Truthy() || !kc.Get("deliver").Truthy() {
		return
	}
	kc.Call("deliver", app.Window().Get("JSON").Call("parse", string(b)))
}

func (jsBrowser) formState(formID string) ([]string, bool, bool) {
	doc := app.Window().Get("document")
	form := doc.Call("getElementById", formID)
	if !form.Truthy() {
		return nil, false, false
	}
	var ticked []string
	boxes := form.Call("querySelectorAll", `input[name="purpose"]`)
	for i := 0; i < boxes.Length(); i++ {
		if b := boxes.Index(i); b.Get("checked").Bool() {
			ticked = append(ticked, b.Get("value").String())
		}
	}
	adult := form.Call("querySelector", `input[name="adult"]`)
	return ticked, adult.Truthy() && adult.Get("checked").Bool(), true
}

func (jsBrowser) focus(id string) {
	// After the next render, so the element exists.
	app.Window().Call("requestAnimationFrame", app.FuncOf(func(this app.Value, args []app.Value) any {
		if el := app.Window().Get("document").Call("getElementById", id); el.Truthy() {
			el.Call("focus")
		}
		return nil
	}))
}

func (jsBrowser) activeID() string {
	el := app.Window().Get("document").Get("activeElement")
	if !el.Truthy() {
		return ""
	}
	return el.Get("id").String()
}

func (jsBrowser) property(id, name string) bool {
	el := app.Window().GetElementByID(id)
	return el.Truthy() && el.Get(name).Bool()
}

func (jsBrowser) setProperty(id, name string, v bool) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Set(name, v)
	}
}

func (jsBrowser) saveFile(name, mime string, data []byte) {
	arr := js.Global().Get("Uint8Array").New(len(data))
	js.CopyBytesToJS(arr, data)
	blob := js.Global().Get("Blob").New([]any{arr}, map[string]any{"type": mime})
	href := js.Global().Get("URL").Call("createObjectURL", blob)
	doc := js.Global().Get("document")
	a := doc.Call("createElement", "a")
	a.Set("href", href)
	a.Set("download", name)
	doc.Get("body").Call("appendChild", a)
	a.Call("click")
	a.Call("remove")
	// The download has started; the object URL can go once it has.
	var revoke js.Func
	revoke = js.FuncOf(func(js.Value, []js.Value) any {
		js.Global().Get("URL").Call("revokeObjectURL", href)
		revoke.Release()
		return nil
	})
	js.Global().Call("setTimeout", revoke, 10000)
}

// outboxJS is outbox.js's public surface, undefined when the script is not
// on the page.
func outboxJS() js.Value { return js.Global().Get("kaiconnOutbox") }

func (jsBrowser) deviceReceipts() bool {
	o := outboxJS()
	return o.Truthy() && o.Call("supported").Truthy()
}

func (jsBrowser) recordReceipt(order []byte, done func(string, error)) {
	outboxCall(func(o js.Value) js.Value {
		return o.Call("record", js.Global().Get("JSON").Call("parse", string(order)))
	},
		func(v js.Value, err error) {
			if err != nil {
				done("", err)
				return
			}
			done(v.String(), nil)
		})
}

func (jsBrowser) deviceHistory(done func([]byte, error)) {
	outboxCall(func(o js.Value) js.Value { return o.Call("download") },
		func(v js.Value, err error) {
			if err != nil {
				done(nil, err)
				return
			}
			done([]byte(v.String()), nil)
		})
}

// outboxCall calls outbox.js and hands the promise's outcome to done, from
// the promise's callback: nothing waits on the UI goroutine.
func outboxCall(call func(o js.Value) js.Value, done func(js.Value, error)) {
	o := outboxJS()
	if !o.Truthy() {
		done(js.Undefined(), errors.New("outbox.js is not on the page"))
		return
	}
	var then, catch js.Func
	release := func() { then.Release(); catch.Release() }
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		release()
		done(args[0], nil)
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, args []js.Value) any {
		release()
		msg := "outbox.js failed"
		if len(args) > 0 && args[0].Type() == js.TypeObject && args[0].Get("message").Type() == js.TypeString {
			msg = args[0].Get("message").String()
		}
		done(js.Undefined(), errors.New(msg))
		return nil
	})
	call(o).Call("then", then, catch)
}
