// Package takeover is the wasm's work on a page rendered without any state:
// it shows the view of the host app's ?state= in its place.
//
// Such a page (data-rendered-for="none") is the app's offline bundle, whose
// pages the server rendered once for a first launch. When the host hands
// its state over, the wasm computes the view the server would have rendered
// for that state (package consentview, the server's own code, from the
// catalogues the wasm carries) and puts it in the page.
//
// One render source per surface: the gate's <main> is rendered by the same
// templ view as on the server (views/gate), so no markup is written twice;
// the settings get their new state as #kc-state, which the go-app component
// renders, a component a test holds equal to the server's page for every
// state (components). The gate is never made to wait: gate.js answers a
// tap with the bridge message at once, and the view is replaced only while
// the person has not decided.
//
// Must not import: server, api, store, policyview, lists,
// modernc.org/sqlite, github.com/jackc/pgx, github.com/go-chi/chi.
package takeover
