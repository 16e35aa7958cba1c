package components

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// go-app takes over exactly the pages a component renders. The wasm is
// loaded by those and by the gate, whose page rendered without state it
// renders again for the host's state (without go-app); the others (the
// banner, the permission pages, the policy and its lists, the console)
// never load it.
func TestWhichPagesTheWasmEnhances(t *testing.T) {
	for _, tt := range []struct {
		path, surface string
		enhanced      bool // a go-app component takes the page over
		loads         bool // the surface's pages may load the wasm
	}{
		{"/privacy", "privacy", false, false},
		{"/privacy/collected", "lists", false, false},
		{"/privacy/shared", "lists", false, false},
		{"/settings/privacy", "settings", true, true},
		{"/consent", "gate", false, true},
		{"/consent/done", "gate", false, true},
		{"/banner", "banner", false, false},
		{"/permission/camera", "permission", false, false},
		{"/admin", "admin", false, false},
		{"/privacy/cookies", "", false, false},
		// The app bundle's pages (docs/bundle.md), at the root of the
		// app's assets or under a path of its own: its settings load the
		// wasm into a worker (boot.js), never into go-app.
		{"/settings/en.html", "settings", false, true},
		{"/assets/app-bundle/settings/zh-Hans.html", "settings", false, true},
		{"/settings/index.html", "", false, false},
		{"/consent/en.html", "gate", false, true},
		{"/privacy/en.html", "privacy", false, false},
	} {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.enhanced, Enhances(tt.path))
			if tt.surface != "" {
				assert.Equal(t, tt.loads, EnhancesSurface(tt.surface))
			}
		})
	}
}
