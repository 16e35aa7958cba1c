// Package components is the interactive layer: go-app components that take
// over a server-rendered page once the wasm has started. They render state
// and post events; the domain packages decide.
package components

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Register tells go-app which component enhances which server-rendered page.
func Register() {
	app.Route("/privacy", func() app.Composer { return &Privacy{} })
	app.Route("/banner", func() app.Composer { return &Banner{} })
	app.RouteWithRegexp(`^/consent(/done)?$`, func() app.Composer { return &Gate{} })
	app.Route("/settings/privacy", func() app.Composer { return &Settings{} })
}
