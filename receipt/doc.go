// Package receipt holds the consent receipt: its format and canonical
// bytes, its signatures, the rules it must meet, and the Store interface.
//
// A receipt carries the device's signature and the server's
// countersignature; adapters (SQLite, PostgreSQL) implement the Store. It
// knows nothing of HTTP or SQL, and nothing of the consent domain, which
// consentreceipt joins to it.
//
// Must not import: server, api, store, consent, consentreceipt,
// components, views, net/http, modernc.org/sqlite, github.com/jackc/pgx.
package receipt
