// Package web holds the static assets the server embeds: styles, the small
// boot script that starts the wasm, and the icon.
//
// The server serves these files as package pipeline builds them (scripts
// joined with the parts under static/parts they name, scripts and
// stylesheets minified), never as they are here.
//
// The built app.wasm and Go's wasm_exec.js are build outputs and are served
// from disk (see the Makefile).
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package web
