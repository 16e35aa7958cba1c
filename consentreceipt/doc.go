// Package consentreceipt turns a consent decision into the parameters of a
// signed receipt, and checks a receipt against the catalogue.
//
// It is the one place where the consent domain meets the receipt format, so
// that the browser's outbox and the server build the very same receipt from
// the same decision, and where the server checks, before countersigning,
// that a receipt says what the catalogue says (Check). Neither consent nor
// receipt imports the other; this package imports both, and notice for the
// texts a receipt refers to. It builds for wasm, so it knows nothing of
// transport or storage.
//
// Must not import: server, api, store, outbox, components, views, net/http,
// modernc.org/sqlite, github.com/jackc/pgx,
// github.com/maxence-charriere/go-app.
package consentreceipt
