// Package recorder turns a consent receipt into a stored record: it checks
// the receipt against the format's rules, the subject's chain and the
// purpose catalogue, countersigns it and puts it in the store, once, for
// every way a receipt arrives.
//
// A device's signed receipt comes in through the API (Recorder.Device); a
// decision posted on one of the server's own forms becomes a
// server-attested receipt (Recorder.Decision), or an order a device signs
// itself (Recorder.Order). Both kinds meet the same catalogue check, are
// countersigned by the same keys and stored as the same record, so that
// the API and the pages cannot come to disagree about what a stored
// receipt is. See docs/threat-model.md.
//
// It knows nothing of HTTP: what a request's headers and cookies say
// (tickets, the browser's subject) reaches it as values, and what it
// answers is a record or an errs error, which the HTTP layers map to a
// status.
//
// Must not import: net/http, server, api, store, components, views,
// github.com/a-h/templ, github.com/maxence-charriere/go-app.
package recorder
