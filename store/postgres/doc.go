// Package postgres keeps consent receipts in PostgreSQL, for deployments
// where several server instances share one database.
//
// Durability: Put returns after its transaction commits, and every
// connection keeps synchronous_commit on (it is turned back on should the
// server default be off), so a commit is flushed to the WAL before Put
// returns. Within an instance, writes go through one writer goroutine
// (package batch) that group-commits concurrent Puts: many in one
// transaction, one WAL flush. Across instances, chains stay linear because
// a unique constraint on (subject, prev_hash) lets only one successor of a
// record ever commit, and the primary key of subject_keys lets a key be
// enrolled for one subject only: a writer that read a stale head or key
// fails on the constraint, and its Put checks again against what won.
//
// Must not import: server, api, components, views, store/sqlite,
// store/memstore, net/http.
package postgres
