// Package mark holds the few pieces of markup that several surfaces share
// and that the server and the wasm both write: Kaiconn's wordmark and the
// separate-consent badge, each written once.
//
// It sits below every templ view and the go-app components alike, so that
// neither has to import the other to write the same mark (the components
// render the settings through views/settingsview, which needs both).
//
// Must not import: server, api, store, lists, policyview, components,
// locales, github.com/a-h/templ, github.com/maxence-charriere/go-app,
// modernc.org/sqlite, github.com/jackc/pgx, github.com/go-chi/chi.
package mark
