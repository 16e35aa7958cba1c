//go:build wasm

package main

import (
	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/takeover"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	surface := takeover.Surface()
	// A page rendered without any state (the app's bundle) shows the view
	// of the host's ?state= first: the gate by the server's own templ view,
	// the settings by handing the component its state.
	takeover.Run(surface)
	path := app.Window().URL().Path
	if !components.Enhances(path) && !components.RouteSurface(surface, path) {
		// Only the pages a component takes over are left to go-app; on
		// any other, it would replace the page with its "not found". The
		// gate needs nothing more: gate.js takes its decisions.
		components.Done()
		return
	}
	components.Register()
	app.RunWhenOnBrowser()
}
