// Package receipttest holds a small policy catalogue and decisions for the
// tests of the receipt, api and verifier packages.
//
// Each test builds receipts the same way the browser does: receipt.New then
// receipt.Sign.
//
// Must not import: server, api, store, components, views.
package receipttest
