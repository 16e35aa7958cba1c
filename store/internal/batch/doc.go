// Package batch is the group commit of the stores: one writer goroutine
// takes every job queued while it was busy and runs them in one
// transaction, so that many concurrent writes share one commit, and so one
// fsync. A batch lingers for more jobs while they keep arriving a short gap
// apart, never longer than a bound (Linger): a commit costs an fsync
// whatever it holds, and over HTTP the work before each write spreads
// arrivals too thin for the jobs queued during one commit to fill the next.
//
// A job that is refused (it returns an error coded by package errs, which
// it must do before writing anything) fails alone and its neighbours
// commit. Any other error, and a failed commit, roll the batch back and run
// each of its jobs again in a transaction of its own, so that a job fails
// only for its own fault. Do returns only once its job's transaction has
// committed, or is known not to have.
//
// Must not import: server, api, components, views, receipt, modernc.org/sqlite,
// github.com/jackc/pgx, net/http.
package batch
