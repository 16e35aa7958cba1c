// Package consentreceipt turns a consent decision into the parameters of a
// signed receipt, and checks a receipt against the catalogue.
//
// It is the one place where the consent domain meets the receipt format, so
// that every receipt of a decision reads alike: the server builds the
// receipts it attests, and hands a device the receipt it is to sign as an
// Order, which the browser's outbox (web/static/outbox.js) signs as it is.
// It is also where the server checks, before countersigning, that a
// receipt says what the catalogue says (Check). Neither consent nor
// receipt imports the other; this package imports both, and notice for the
// texts a receipt refers to. It knows nothing of transport or storage.
//
// Must not import: server, api, store, components, views, net/http,
// modernc.org/sqlite, github.com/jackc/pgx,
// github.com/maxence-charriere/go-app.
package consentreceipt
