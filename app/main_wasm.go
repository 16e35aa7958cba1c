//go:build wasm

package main

import (
	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/takeover"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	if engine, ok := takeover.Engine(); ok {
		// In a worker (web/static/engine.js): render the view of the
		// host's state on a page rendered without state, off the page's
		// main thread, and on the settings decide the changes made there.
		takeover.Serve(engine)
		return
	}
	// The mark times the wasm's start (make bench): its runtime and
	// packages are set up when main runs.
	app.Window().Get("performance").Call("mark", "kc-wasm-main")
	if !components.Enhances(app.Window().URL().Path) {
		// Only the pages a component takes over are left to go-app; on
		// any other, it would replace the page with its "not found".
		components.Done()
		return
	}
	components.Register()
	app.RunWhenOnBrowser()
}
