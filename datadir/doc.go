// Package datadir opens what the program keeps between runs: its data
// directory (the SQLite file, the countersigning keys, the cookie key, each
// private to the server's user) or, with a DSN, the PostgreSQL database
// beside that directory's keys.
//
// It refuses to start on a data directory that lost part of itself (a
// store whose keys are gone, keys whose store is gone), since starting
// afresh would hide that receipts are no longer verifiable or no longer
// there. The program's main (app) opens it, hands what it opened to the
// server and closes it at the end; the server never opens a file itself,
// so that its tests run on memstore.
//
// Must not import: server, api, recorder, components, views, store/memstore,
// store/storetest, store/pgtest, github.com/a-h/templ,
// github.com/maxence-charriere/go-app.
package datadir
