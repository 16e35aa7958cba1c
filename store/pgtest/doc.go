// Package pgtest starts a throwaway PostgreSQL server for tests, from the
// binaries of Debian's postgresql package.
//
// The PostgreSQL store is so tested against the real thing on every machine
// and in CI without any service set up beforehand. A test binary shares one
// server, started on first use, and each test gets a fresh database on it:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		dsn := pgtest.DSN(t) // postgres://postgres@127.0.0.1:PORT/t_N?sslmode=disable
//		...
//	}
//
// SchemaDSN is the cheaper variant for suites that need an empty store in
// every subtest: a fresh schema, named by the search_path of the DSN.
//
// Without pgtest.Main, DSN starts a server for the calling test alone and
// stops it when the test ends. When the binaries are missing, DSN skips the
// test, or fails it when the CI environment variable is set, so that CI
// never passes by skipping. Under go test -short it starts no server and
// skips the test, CI or not: the short run must need no PostgreSQL. It
// hands out DSNs and knows no store.
//
// Must not import: server, api, components, views, store/postgres.
package pgtest
