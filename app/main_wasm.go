//go:build wasm

package main

import (
	"github.com/kaiconn/consent/components"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	if !components.Enhances(app.Window().URL().Path) {
		// Only the pages a component takes over load boot.js; on any
		// other, go-app would replace the page with its "not found".
		return
	}
	components.Register()
	app.RunWhenOnBrowser()
}
