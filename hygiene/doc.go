// Package hygiene holds no code, only tests of the build itself.
//
// They check that the wasm carries no server code and rebuilds only when
// its own sources change, that generated files are fresh, that every
// package has a doc.go, and that no package imports what its doc.go
// forbids: each doc.go ends with a line
//
//	Must not import: server, api, store.
//
// naming paths relative to the module (store stands for store and every
// package below it), or full import paths (net/http, or
// github.com/kaiconn/consent for the whole module). A package is checked
// against everything its code depends on, directly or not, in the server
// build and in the wasm build; tests may import more, except in a package
// that holds only tests, whose tests are its code. TestLayoutTable keeps the
// layout table of docs/development.md equal to the first sentence of each
// doc, TestFiguresAreMeasured keeps every measured figure the docs
// quote in the generated docs/measurements.md, TestLinks keeps every
// relative link of the docs pointing at a file and heading that exist,
// TestConfigurationTable keeps the README's flags equal to the program's,
// and TestSDKCallTable the SDK table of docs/bridge.md equal to what
// cmd/policyversion prints. Every generated section of the docs but the
// measurements (which the benchmarks write) is written and checked here,
// by generatedSection, and nowhere else.
//
// It looks at the module from outside, through the go command.
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package hygiene
