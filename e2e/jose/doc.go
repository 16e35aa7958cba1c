// Package jose checks the server's countersignatures with an implementation
// that shares no code with ours: the jose library and WebCrypto under node.
//
// Its only content is the test that drives verify.mjs: it builds and
// countersigns receipts with the receipt package, as the server does, and
// hands them to node. It needs nothing of the running program.
//
// Must not import: server, api, store, components, views.
package jose
