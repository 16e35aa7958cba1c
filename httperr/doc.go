// Package httperr is how every HTTP surface answers an error: the one table
// from the codes of package errs to HTTP status codes, and the one JSON
// shape of an error, {"error":{"code","message"}}.
//
// The API, the pages' form posts and the console all answer through it, so
// that a code means the same status wherever it is answered, and a code the
// table lacks is a 500 that says so in the log rather than a quiet one.
//
// It knows errs and net/http, nothing of the domain.
//
// Must not import: api, server, recorder, receipt, consent, store,
// components, views, github.com/a-h/templ,
// github.com/maxence-charriere/go-app.
package httperr
