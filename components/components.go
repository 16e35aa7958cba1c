package components

import (
	"regexp"
	"slices"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// route is a page the wasm enhances, and the component that takes it over.
type route struct {
	// surface is the server's name for the page (views.Page.Surface).
	surface string
	pattern *regexp.Regexp
	new     func() app.Composer
}

// routes lists every page the wasm takes over. The others are whole
// without it: the gate, the banner and the permission page take decisions
// in small scripts of their own; the policy and its lists are documents,
// searched as one types by web/static/reader.js (issue 11: the wasm only
// where it pays); the console has no script.
var routes = []route{
	// The app bundle's settings (settings/<lang>.html) are not among
	// them: the wasm renders and decides them in a worker (boot.js,
	// package takeover) and go-app never starts there.
	{"settings", regexp.MustCompile(`^/settings/privacy$`), func() app.Composer { return &Settings{} }},
}

// Register tells go-app which component enhances which server-rendered page.
func Register() {
	for _, r := range routes {
		app.RouteWithRegexp(r.pattern.String(), r.new)
	}
}

// Done marks a page the wasm has finished with, without go-app (the gate):
// html[data-wasm=ready], as a component's page once it has taken over.
func Done() {
	app.Window().Get("document").Get("documentElement").Call("setAttribute", "data-wasm", "ready")
}

// Enhances reports whether a component takes over the page at path. On any
// other page go-app must not start: it would replace the page with its own
// "not found".
func Enhances(path string) bool {
	for _, r := range routes {
		if r.pattern.MatchString(path) {
			return true
		}
	}
	return false
}

// rerendered are the surfaces no component takes over but whose page,
// rendered without any state, the wasm renders again for the host's
// ?state= (package takeover): the gate.
var rerendered = []string{"gate"}

// EnhancesSurface reports whether the wasm takes over the pages of a
// surface, or renders them again: only those load it (boot.js), and the
// server leaves it out of a page that needs nothing of it (Page.NoWasm).
func EnhancesSurface(surface string) bool {
	if slices.Contains(rerendered, surface) {
		return true
	}
	for _, r := range routes {
		if r.surface == surface {
			return true
		}
	}
	return false
}
