// Package policydata embeds the privacy policy sources, one directory per
// policy version.
//
// The server and the WebAssembly UI load the same bytes, and so compute the
// same SHA-256 for a receipt. Parse them with policy.Load(policydata.FS).
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package policydata
