// Package sqlite keeps consent receipts in one SQLite file, for a deployment
// on a single node.
//
// It uses the pure-Go modernc.org/sqlite driver, so the program stays one
// static binary.
//
// Durability: the file is in WAL mode with synchronous=FULL, so a commit is
// on disk before Put returns. Writes go through a single connection that
// takes the write lock when its transaction begins, so concurrent Puts
// queue instead of failing with SQLITE_BUSY, and the check of a subject's
// head and the insert of its successor can never interleave with another
// writer's. Reads use a separate pool and, thanks to WAL, never wait for the
// writer.
//
// Must not import: server, api, components, views, store/postgres,
// store/memstore, net/http.
package sqlite
