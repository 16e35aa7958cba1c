package components

import "github.com/maxence-charriere/go-app/v10/pkg/app"

// Register tells go-app which component enhances which server-rendered page.
func Register() {
	app.Route("/privacy", func() app.Composer { return &Privacy{} })
	app.RouteWithRegexp(`^/privacy/(collected|shared)$`, func() app.Composer { return &Lists{} })
	app.Route("/settings/privacy", func() app.Composer { return &Settings{} })
}
