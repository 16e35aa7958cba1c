// Package rules may import web; only domain forbids it.
//
// Must not import: net/http.
package rules
