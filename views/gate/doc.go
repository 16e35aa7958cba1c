// Package gate is the first-launch gate's markup (/consent), written once
// as a templ view: the server renders the page from it, and on a page
// rendered without state (the app's bundle) the wasm renders its <main>
// again from the view model it computed for the host's ?state= (package
// consentview), so no markup of the gate exists twice.
//
// It is one of the two templ packages the wasm carries (the other is the
// settings', views/settingsview); it reads view models and resolved
// strings only (lang/texts, not lang and its message files; the
// wasm build holds it to that, hygiene TestWasmCarriesNoServerCode).
//
// Must not import: server, api, store, lists, policyview,
// modernc.org/sqlite, github.com/jackc/pgx, github.com/go-chi/chi.
package gate
