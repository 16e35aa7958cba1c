// Package notice holds the texts that a kaiconn-receipt/2 receipt names by
// hash instead of repeating them: what a purpose was (who receives which
// data, under which kind of consent, and how to withdraw it), how a consent
// is withdrawn, and who the controller is. Each is a notice: a small JSON
// document whose reference is the lowercase hex SHA-256 of its RFC 8785
// canonical form.
//
// A receipt names one notice, the "shown" notice of its audience and
// language: the list of everything a surface showed, each part by its own
// reference. One reference keeps a receipt small (every part named inside
// the receipt would cost some 640 bytes a receipt), while each part stays a
// notice of its own, shared by every shown notice that lists it.
//
// Notices are built from the purpose catalogue of a policy version, so the
// browser, the app and the server derive the same references from the same
// catalogue. The registry (locales/notices, read with Registry) keeps every
// notice ever referenced, one file per notice named by its reference, so
// that an auditor holding only a receipt and the registry reconstructs, byte
// for byte, what the person was shown. It only grows: a catalogue edit adds
// notices and never removes any.
//
// The package is domain code: it knows nothing of HTTP, SQL or the DOM, and
// builds for wasm.
//
// Must not import: server, api, store, components, views, net/http,
// modernc.org/sqlite, github.com/jackc/pgx,
// github.com/maxence-charriere/go-app.
package notice
