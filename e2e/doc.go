// Package e2e drives the real program in a real browser.
//
// Debian's chromium, started headless by chromedp, loads pages from a
// server.Server listening on a free port with its own data directory. The
// wasm is built once per run (the Go build cache makes a rebuild cheap when
// nothing changed). The package holds only tests, which `go test -short`
// skips: they need chromium and take over a minute.
//
// It may use every package of the program, since driving the real thing is
// its purpose; it shares nothing with the other suites, so each runs alone.
//
// Must not import: hygiene, e2e/jose.
package e2e
