// Package storetest is the one contract every receipt.Store adapter must
// meet.
//
// The SQLite and PostgreSQL adapters run the same suite, so a receipt
// behaves the same whichever database keeps it: idempotent retries, a chain
// that never forks, even under concurrency, and nothing partial ever
// stored. The contract knows the interface, not the adapters that import it.
//
// Must not import: server, api, components, views, store/sqlite,
// store/postgres, store/memstore.
package storetest
