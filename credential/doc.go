// Package credential holds the credentials the server issues and later
// checks: the subject cookie kc_sub, the single-use ticket and the proof
// nonce.
//
// kc_sub tells the server which pseudonymous subject a browser's decisions
// belong to. A ticket is a receipt id the server mints for a subject and
// renders into a page, so that a decision posted from that page is stored
// under an id the server chose. A nonce is what a history proof signs, so
// that a proof cannot be replayed.
//
// Each is a short dot-separated text with an HMAC-SHA256 under a key the
// server keeps (derived from the cookie key, one key per kind, so that no
// credential of one kind ever passes for one of another). Parsing is strict:
// anything the server would not have written is refused with a message that
// names the part at fault.
//
// It knows nothing of HTTP or storage: whether a ticket's receipt id was used
// already, or a nonce consumed, is the store's business. It builds for wasm,
// where PeekTicket reads a ticket without its key.
//
// Must not import: server, api, store, components, views, net/http,
// modernc.org/sqlite, github.com/jackc/pgx,
// github.com/maxence-charriere/go-app.
package credential
