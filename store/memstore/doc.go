// Package memstore is a receipt.Store held in memory, for tests of the
// packages above the store (api, server). It follows the Store contract
// exactly: idempotent Put by id, chain conflicts as errs.Conflict, device
// keys enrolled per subject, misses as errs.NotFound. Nothing survives the
// process, so no program should serve from it.
//
// Must not import: server, api, components, views, modernc.org/sqlite,
// github.com/jackc/pgx.
package memstore
