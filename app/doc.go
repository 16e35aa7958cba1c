// Command app is Kaiconn Consent itself, as a server binary or as the wasm.
// Built for the server (main.go) it serves every page, the API and the
// wasm; built for wasm (main_wasm.go) it is the interactive layer. The two
// builds share no main so that no server code reaches the browser (the
// hygiene package checks the wasm's dependencies).
//
// Test helpers never ship in the program.
//
// Must not import: store/memstore, store/storetest, store/pgtest,
// receipt/receipttest, e2e, hygiene.
package main
