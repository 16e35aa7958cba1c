// Package lang decides which language a reader sees and carries the UI
// strings in both of the product's languages.
//
// It builds for the server and for the wasm, so both render the same words;
// it takes the reader's preferences as values, not as requests.
//
// Must not import: server, api, store, components, views, consent, receipt,
// net/http.
package lang
