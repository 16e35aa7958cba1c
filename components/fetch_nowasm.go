//go:build !wasm

package components

import "errors"

// getJSON has no browser to fetch with on the host: tests give components
// a fetch of their own.
func getJSON(path string, v any) error {
	return errors.New("GET " + path + ": no browser on the host")
}
