//go:build wasm

package main

import (
	"github.com/kaiconn/consent/components"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	if !components.Enhances(app.Window().URL().Path) {
		// A page that is whole without the wasm (the gate): go-app must not
		// take it over, but the browser's outbox still sends what an
		// earlier visit left, and the wasm is in the cache for the pages
		// that need it.
		components.SendOutbox()
		select {}
	}
	components.Register()
	app.RunWhenOnBrowser()
}
