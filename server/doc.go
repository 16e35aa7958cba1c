// Package server is the program as a value: one HTTP handler, started on any
// address and closed again.
//
// It wires the policy library, the UI strings, the views and the surfaces
// together over a store and keys it is given (Deps), so end-to-end tests
// drive the real thing and its own tests can run on memstore. It opens no
// file and no database: the program's main (app) opens them (package
// datadir) and closes them after the server. Configuration comes in as a
// Config; flags and environment belong to the main package. Test helpers
// never ship in it. A surface with its own package (admin, documents,
// banner, appconsent, assets) declares what it needs; the server builds that and
// mounts it (routes.go).
//
// Must not import: store, datadir, receipt/receipttest, e2e, hygiene.
package server
