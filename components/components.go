// Package components is the interactive layer: go-app components that take
// over a server-rendered page once the wasm has started. They render state
// and post events; the domain packages decide.
package components

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Register tells go-app which component enhances which server-rendered page.
func Register() {
	app.Route("/privacy", func() app.Composer { return &Privacy{} })
	app.RouteWithRegexp(`^/consent(/done)?$`, func() app.Composer { return &Gate{} })
	app.Route("/settings/privacy", func() app.Composer { return &Settings{} })
}

// Privacy enhances /privacy.
type Privacy struct {
	app.Compo
	Lang string
}

func (p *Privacy) OnMount(ctx app.Context) { enhanced() }

func (p *Privacy) Render() app.UI {
	return app.Div().ID("kc-root").Class("kc-root").Body(app.H1().Text("privacy"))
}
