// Package proof checks consent receipts offline against the versioned
// texts they refer to, and packs one subject's proof into a bundle that
// anyone can check without asking the server.
//
// A receipt alone proves who signed what; what the person was shown is
// proven by the texts its hashes name: the policy source and, for
// kaiconn-receipt/2, the shown notice and every notice it lists. Sources
// holds those texts (embedded, from a directory laid out like locales/, or
// from a bundle), Sources.Check reconstructs a receipt's texts, Inspect
// verifies a whole chain receipt by receipt without stopping at the first
// failure (what the console shows), and a Bundle carries a chain, the keys
// and every text it needs, sealed by the server, in canonical JSON so that
// one altered byte makes it fail.
//
// kaiconn-verify and the console share this code, so that what an officer
// sees verified is what an auditor verifies.
//
// Must not import: server, api, store, components, views, net/http,
// modernc.org/sqlite, github.com/jackc/pgx,
// github.com/maxence-charriere/go-app.
package proof
