// Package banner is the web surface of the website's cookie banner:
// /embed.js, the banner page that works with no script at all, its form
// posts, the state and ticket endpoints embed.js uses, the kc_consent
// cookie's format, and the demo site at /demo (docs/banner.md).
//
// It records a decision through recorder and declares in Deps what else it
// needs of the program (the subject credential and tickets, the form
// guard, the answers of a form post, the origin); the server only mounts
// it (server.newBanner).
//
// Must not import: server, api, admin, documents, assets, store, datadir.
package banner
