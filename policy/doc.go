// Package policy holds Kaiconn's privacy policy as data: every published
// version, in every language, as one section tree.
//
// It parses the Markdown sources under locales/policy and checks that both
// languages describe the same tree. The viewer renders it, the consent
// banner quotes its SDK table and permissions, and receipts name the policy
// version and the SHA-256 of the text a person was shown.
//
// The package reads an fs.FS and nothing else, so the server and the
// WebAssembly UI load the same embedded files.
//
// Must not import: server, api, store, consent, receipt, components,
// views, net/http, modernc.org/sqlite, github.com/jackc/pgx,
// github.com/maxence-charriere/go-app.
package policy
