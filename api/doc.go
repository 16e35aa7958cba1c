// Package api is the JSON API of the consent receipt service. Devices post
// signed receipts and get them back countersigned, a person reads their own
// chain by proving they hold a device key the subject enrolled, an
// administrator exports all records, and anyone fetches the server's public
// keys to verify offline.
//
// A posted receipt goes to the recorder (package recorder), the one path
// by which the server's own receipts are kept too: it checks the receipt
// against the catalogue (consentreceipt.Check) and the subject's key rules
// before it countersigns, and every way a receipt may not extend a subject
// gets one answer, so that the API tells nobody which subjects exist.
// Proofs sign a server nonce and are good once. See docs/api.md and
// docs/threat-model.md.
//
// It reaches storage only through the receipt.Store interface; which
// database stands behind it is the program's choice (app, package
// datadir), and pages are the server's concern.
//
// Must not import: server, store, components, views, github.com/a-h/templ,
// github.com/maxence-charriere/go-app.
package api
