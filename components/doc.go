// Package components is the interactive layer: go-app components that take
// over a server-rendered page once the wasm has started.
//
// They render state and post events; the domain packages decide. Browser
// calls (cookies, storage, the native bridge) live in _wasm.go files behind
// small interfaces, so that the components' logic is tested on the host.
// Everything here is downloaded by every reader: no server, store or
// database code may come with it.
//
// Must not import: server, api, store, views, modernc.org/sqlite,
// github.com/jackc/pgx, github.com/a-h/templ, github.com/go-chi/chi.
package components
