//go:build !wasm

package components

// LoadedSettings is a Settings as OnInit leaves it in the browser, for the
// tests of package components_test, which compare its markup with the
// server's (views.Settings): static holds the server's parts no choice
// changes, by id, as keepStatic reads them from the page.
func LoadedSettings(v SettingsView, static map[string]string) *Settings {
	s := &Settings{view: v, strings: v.Strings, loaded: true, static: static}
	s.resetSwitches()
	return s
}
