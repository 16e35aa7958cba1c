// Package hygiene holds no code, only tests of the build itself: that the
// wasm carries no server code, and that generated files are fresh.
package hygiene
