// Package sqlite keeps consent receipts in one SQLite file, for a deployment
// on a single node. It uses the pure-Go modernc.org/sqlite driver, so the
// program stays one static binary.
//
// Durability: the file is in WAL mode with synchronous=FULL, so a commit is
// on disk before Put returns. Writes go through one writer goroutine on a
// single connection (package batch): concurrent Puts are group-committed,
// many in one transaction and one fsync, and each returns once its
// transaction committed. The writer takes the write lock when a
// transaction begins, so the check of a subject's head and keys and the
// insert of its successor can never interleave with another writer's, not
// even another process's. Reads use a separate pool and, thanks to WAL,
// never wait for the writer.
//
// The file is created readable by its owner only (0600); SQLite gives its
// -wal and -shm files the same mode.
//
// Must not import: server, api, components, views, store/postgres,
// store/memstore, net/http.
package sqlite
