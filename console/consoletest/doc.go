// Package consoletest seeds a store with a small, fixed data set of real
// consent receipts, signed, countersigned with the server's keys and
// chained, and says what the console must show of it: the numbers the
// console's server and browser tests check, and the data of its
// screenshots.
//
// Must not import: server, api, components, views, store/sqlite,
// store/postgres.
package consoletest
