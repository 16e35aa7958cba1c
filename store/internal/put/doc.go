// Package put holds what every store does to a record before keeping it.
//
// The SQLite and PostgreSQL adapters share it so that they refuse and
// normalise exactly alike; it touches no database itself.
//
// Must not import: server, api, components, views, modernc.org/sqlite,
// github.com/jackc/pgx.
package put
