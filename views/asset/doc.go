// Package asset names the built files a page links to (its stylesheets,
// scripts and the wasm) by the content-hashed URLs the server serves them
// at: one map per server, carried by each request's context.
//
// Must not import: server, api, store, modernc.org/sqlite,
// github.com/jackc/pgx, github.com/go-chi/chi.
package asset
