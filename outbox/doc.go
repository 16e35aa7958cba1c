// Package outbox keeps the consent receipts a device makes until the server
// has countersigned them.
//
// Every decision becomes a receipt signed with the device key and stored
// BEFORE it is sent; receipts are then posted one at a time, oldest first, a
// receipt never before its predecessor is acknowledged, with exponential
// backoff while the server cannot be reached. Each receipt's prevHash is the
// hash of the previous receipt made on the device, computed locally, so
// receipts made offline chain correctly and reach the server as a valid
// chain.
//
// The package builds for the browser (wasm: IndexedDB, WebCrypto, Web Locks,
// fetch; see browser_wasm.go) and for the host, where tests run it with a
// MemStore, an in-memory signer and net/http. Its contract is docs/outbox.md.
// It speaks to the server only over the receipt API.
//
// Must not import: server, api, store, components, views,
// modernc.org/sqlite, github.com/jackc/pgx, github.com/a-h/templ.
package outbox
