package components

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The wasm takes over exactly the pages a component renders; the others
// (the gate, the banner, the permission pages, the policy and its lists,
// the console) never load it.
func TestWhichPagesTheWasmEnhances(t *testing.T) {
	for _, tt := range []struct {
		path, surface string
		enhanced      bool
	}{
		{"/privacy", "privacy", false},
		{"/privacy/collected", "lists", false},
		{"/privacy/shared", "lists", false},
		{"/settings/privacy", "settings", true},
		{"/consent", "gate", false},
		{"/consent/done", "gate", false},
		{"/banner", "banner", false},
		{"/permission/camera", "permission", false},
		{"/admin", "admin", false},
		{"/privacy/cookies", "", false},
		// The app bundle's pages (docs/bundle.md), at the root of the
		// app's assets or under a path of its own.
		{"/settings/en.html", "settings", true},
		{"/assets/app-bundle/settings/zh-Hans.html", "settings", true},
		{"/settings/index.html", "", false},
		{"/consent/en.html", "gate", false},
		{"/privacy/en.html", "privacy", false},
	} {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.enhanced, Enhances(tt.path))
			if tt.surface != "" {
				assert.Equal(t, tt.enhanced, EnhancesSurface(tt.surface))
			}
		})
	}
}
