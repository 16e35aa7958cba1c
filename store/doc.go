// Package store groups the durable adapters behind receipt.Store: sqlite for
// a single node and postgres for a shared database.
//
// Both satisfy the same contract, which storetest checks, so the server can
// switch between them without any change in behaviour. The package itself
// holds no code. No store knows who calls it.
//
// Must not import: server, api, components, views.
package store
