// Package admin is the web surface of the consent records console at
// /admin: sign-in, the insights, the look-up of a subject's receipts with
// their proof bundles, the operations page and the audit log.
//
// The console's rules (operators, roles, sessions, the audit log, the
// insights' counts) are package console's; this package turns them into
// pages. It declares what it needs of the rest of the program (Store,
// Deps: the store's reads, the keys, the policies, the layout, the
// reader's language, the origin) and the server only mounts it
// (server.mountAdmin). See docs/console.md.
//
// Must not import: server, api, store, recorder.
package admin
