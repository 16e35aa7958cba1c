// Package console is the domain of the consent records console, the
// privacy team's window on the receipts: named operators and their roles,
// how they sign in (passwords hashed with argon2id, lock-out after failed
// attempts), their sessions, the append-only audit log of everything they
// do, and the insights they read (decisions per day, purpose rates, time
// to decision, re-asks after a policy change), with the Store that keeps
// and counts them.
//
// Who may do what is decided here (Role.May), not in the handlers, so that
// one table answers it. The package knows nothing of HTTP or SQL: the
// server's handlers and the stores (sqlite, postgres, memstore) adapt it.
//
// Must not import: server, api, store, components, views, net/http,
// modernc.org/sqlite, github.com/jackc/pgx,
// github.com/maxence-charriere/go-app.
package console
