// Command kaiconn-verify checks consent receipts offline, with nothing but
// the server's published keys and the versioned texts the receipts refer to:
//
//   - the device signature (server-attested receipts, recorded from a form
//     before any device key existed, have none and are reported as such);
//   - the server's countersignature, detached ("<protected>..<signature>",
//     as written since kaiconn-receipt/2) or carrying its payload (as stored
//     before);
//   - for a whole history, every link of the chain;
//   - for a kaiconn-receipt/2 receipt, every hash it names, directly or
//     through its notice: the policy text (policy/<version>/<language>.md),
//     the shown notice and each notice that one lists (the controller, the
//     withdrawal notice and every purpose notice, notices/<hash>.json), and
//     that each notice is the one its place calls for. A kaiconn-receipt/1
//     receipt inlines its texts; its policy hash is checked when the
//     sources hold that policy version.
//
// The texts are those embedded in the command (locales/policy and
// locales/notices of the build), or those under -sources DIR, a directory
// laid out like locales/ (DIR/policy/<version>/<lang>.md,
// DIR/notices/<hash>.json). -show prints what each receipt says, texts
// reconstructed from the sources.
//
//	kaiconn-verify -jwks jwks.json [-sources DIR] [-show] receipt.json
//	kaiconn-verify -jwks jwks.json [-sources DIR] [-show] -chain history.json
//	kaiconn-verify -jwks jwks.json | -kids KID,… [-show] -bundle bundle.json
//	kaiconn-verify -jwks jwks.json -audit audit.ndjson
//
// receipt.json is what GET /api/v1/receipts/{id} returns ({"envelope": …,
// "countersignature": …}); history.json is what GET
// /api/v1/subjects/{subject}/receipts returns; jwks.json is
// /.well-known/jwks.json. bundle.json is a proof bundle, the console's
// machine-readable download (package proof): it carries its chain, the keys
// and every text it names, and is checked whole, its canonical form and
// the server's seal included, so that one altered byte fails it. A bundle
// never vouches for its own keys (anyone can add a key and re-seal one):
// with -jwks, the keys given (the published ones) are trusted instead of
// the bundle's own; with -kids, every key of the bundle must be one of the
// key ids (RFC 7638 thumbprints) given, from the operator's records. It
// exits 0 when everything verifies, 1 when something does not, 2 on a
// usage error, and 3 when a bundle checks but only against its own keys
// (neither -jwks nor -kids).
//
// audit.ndjson is the console's export of its audit log: every entry must
// be chained to the one before, and every checkpoint the server wrote into
// it must be signed by a key of jwks.json over the entry it names, so that
// entries deleted or changed in the database and the chain re-hashed fail
// (console.VerifyAnchored).
//
// Offline means it opens no connection, and it shares with the server only
// the receipt format and the checks of package proof, which the console
// runs too.
//
// Must not import: server, api, store, components, views, net/http.
package main
