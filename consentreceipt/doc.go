// Package consentreceipt turns a consent decision into the parameters of a
// signed receipt.
//
// It is the one place where the consent domain meets the receipt format, so
// that the browser's outbox and the server build the very same receipt from
// the same decision. Neither consent nor receipt imports the other; this
// package imports both, and builds for wasm, so it knows nothing of
// transport or storage.
//
// Must not import: server, api, store, outbox, components, views, net/http,
// modernc.org/sqlite, github.com/jackc/pgx,
// github.com/maxence-charriere/go-app.
package consentreceipt
