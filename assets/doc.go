// Package assets serves what the pages load: every file of web/static as
// built by web/pipeline, and the built wasm and its loader, each at a
// content-hashed URL cached for good and at its plain URL cached briefly
// (docs/assets.md).
//
// The asset map it builds once at start (Set.URLs) is what the pages name
// assets by (views.Asset); the server hands it to every request and mounts
// the routes (Set.Mount). It knows nothing of the pages that name the
// assets, nor of consent.
//
// Must not import: server, api, admin, documents, store, recorder, views, consent, receipt.
package assets
