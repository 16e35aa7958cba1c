// Command kaiconn-verify checks consent receipts offline, with nothing but
// the server's published keys.
//
// It checks the device signature (server-attested receipts, recorded from a
// form before any device key existed, have none and are reported as such),
// the server's countersignature and, for a whole history, every link of the
// chain.
//
//	kaiconn-verify -jwks jwks.json receipt.json
//	kaiconn-verify -jwks jwks.json -chain history.json
//
// receipt.json is what GET /api/v1/receipts/{id} returns ({"envelope": …,
// "countersignature": …}); history.json is what GET
// /api/v1/subjects/{subject}/receipts returns; jwks.json is
// /.well-known/jwks.json. It exits 0 when everything verifies, 1 when
// something does not, 2 on a usage error.
//
// Offline means it opens no connection, and it shares with the server only
// the receipt format.
//
// Must not import: server, api, store, outbox, components, views, net/http.
package main
