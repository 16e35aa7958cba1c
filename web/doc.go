// Package web holds the static assets the server embeds: styles, the small
// boot script that starts the wasm, and the icon.
//
// The built app.wasm and Go's wasm_exec.js are build outputs and are served
// from disk (see the Makefile).
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package web
