// Package chaintest holds a store's one-look-up ChainFacts to what Tip
// and KeySubject answer one after the other, for every store that offers
// it (receipt.ChainFactsReader): the API trusts the one query only because
// this contract test shows it says what the two would.
//
// Must not import: server, api, components, views.
package chaintest
