// Package e2e drives the real program in a real browser: Debian's chromium,
// started headless by chromedp, against a server.Server listening on a free
// port with its own data directory. The wasm is built once per run (the Go
// build cache makes a rebuild cheap when nothing changed).
package e2e
