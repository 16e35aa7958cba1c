//go:build wasm

package takeover

import "syscall/js"

// Surface is the page's surface (html[data-surface]), "" when none.
func Surface() string {
	v := js.Global().Get("document").Get("documentElement").Call("getAttribute", "data-surface")
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}
