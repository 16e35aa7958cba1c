// Package put holds what every store does to a record before keeping it, so
// that the SQLite, PostgreSQL and memory adapters refuse, normalise and
// check chains and device keys exactly alike. Adapters look the facts up in
// their own transaction; the rules that judge them live here, once.
//
// Must not import: server, api, components, views, modernc.org/sqlite,
// github.com/jackc/pgx.
package put
