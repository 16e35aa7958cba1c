// Package tally holds the insights' counts that one transaction of a store
// adds: every receipt stored is counted by day, surface, language, policy
// version, decision and re-ask, each of its purposes by state, and its time
// from shown to decision by bucket. A store adds each receipt it inserts
// and writes the counts, merged, just before it commits, in the same
// transaction, so that the counts never disagree with the receipts.
//
// Merging per transaction is what keeps Put cheap: a group commit of eight
// receipts of one day and surface updates a handful of count rows instead
// of eight times as many, and in one order (sorted keys), so that two
// instances updating the same rows never deadlock.
//
// Must not import: server, api, components, views, store/sqlite,
// store/postgres, store/memstore.
package tally
