// Package postgres keeps consent receipts in PostgreSQL, for deployments
// where several server instances share one database.
//
// Durability: Put returns after its transaction commits, and every
// connection keeps synchronous_commit on (it is turned back on should the
// server default be off), so a commit is flushed to the WAL before Put
// returns. Chains stay linear under any number of concurrent writers
// because a unique constraint on (subject, prev_hash) lets only one
// successor of a record ever commit: a writer that read a stale head fails
// on the constraint and gets a conflict.
//
// Must not import: server, api, components, views, store/sqlite,
// store/memstore, net/http.
package postgres
