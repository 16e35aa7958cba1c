//go:build wasm

package components

import (
	"encoding/json"
	"errors"
	"fmt"
	"syscall/js"
)

// getJSON fetches path from the page's origin and decodes its JSON into v.
// It blocks the calling goroutine until the answer is in: call it before
// go-app starts, in OnInit, or from ctx.Async, never from a JS callback.
// It uses the browser's fetch: net/http's client would bring TLS and X.509
// into app.wasm.
func getJSON(path string, v any) error {
	resp, err := await(js.Global().Call("fetch", path, map[string]any{"credentials": "same-origin"}))
	if err != nil {
		return err
	}
	if status := resp.Get("status").Int(); status != 200 {
		return fmt.Errorf("GET %s: %d", path, status)
	}
	text, err := await(resp.Call("text"))
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(text.String()), v)
}

// await waits for a promise.
func await(p js.Value) (js.Value, error) {
	ok := make(chan js.Value, 1)
	fail := make(chan error, 1)
	then := js.FuncOf(func(_ js.Value, args []js.Value) any {
		ok <- args[0]
		return nil
	})
	catch := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "fetch failed"
		if len(args) > 0 && args[0].Type() == js.TypeObject && args[0].Get("message").Type() == js.TypeString {
			msg = args[0].Get("message").String()
		}
		fail <- errors.New(msg)
		return nil
	})
	defer then.Release()
	defer catch.Release()
	p.Call("then", then, catch)
	select {
	case v := <-ok:
		return v, nil
	case err := <-fail:
		return js.Undefined(), err
	}
}
