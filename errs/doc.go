// Package errs is the product's one error vocabulary: a code and a message
// fit to show a person.
//
// Every failure the domain reports carries a code, and the HTTP layer maps
// codes to status codes in one table. Only internal errors are logged, so a
// message here must never hold personal data.
//
// Everything else imports errs, so it imports nothing of this module.
//
// Must not import: github.com/kaiconn/consent (any package of this module),
// net/http.
package errs
