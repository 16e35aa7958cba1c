// Package api is the JSON API of the consent receipt service. Devices post
// signed receipts and get them back countersigned, a person reads their own
// chain by proving they hold the device key, an administrator exports all
// records, and anyone fetches the server's public keys to verify offline.
//
// It reaches storage only through the receipt.Store interface; which
// database stands behind it is the server's choice, and pages are the
// server's concern.
//
// Must not import: server, store, components, views, github.com/a-h/templ,
// github.com/maxence-charriere/go-app.
package api
