// Package store groups the durable adapters behind receipt.Store: sqlite for
// a single-node deployment and postgres for a shared one. Both satisfy the
// same contract, which storetest checks, so the server can switch between
// them without any change in behaviour.
package store
