// Package components is the interactive layer: go-app components that take
// over a server-rendered page once the wasm has started.
//
// They render state and post events; the domain packages decide. Browser
// calls (cookies, storage, the native bridge) live in _wasm.go files behind
// small interfaces, so that the components' logic is tested on the host.
// Everything here is downloaded by every reader: no server, store or
// database code may come with it.
//
// The settings' markup is views/settingsview's, a templ view the server
// renders too; templ's runtime is in the wasm for the gate already
// (views/gate). The server's other views, which read the policy, are not
// (policyview, lists and the message files of locales keep them out).
//
// Must not import: server, api, store, policyview, lists, locales,
// modernc.org/sqlite, github.com/jackc/pgx, github.com/go-chi/chi.
package components
