// Package policyview turns a policy document into one render-ready tree of
// elements, with search hits marked.
//
// The server's templ pages (the policy, and the lists, which are trees
// too) write this tree as HTML. Ids are the same in both languages, so a
// reader's place (an id) survives a language switch. The page needs no
// wasm: web/static/reader.js searches the rendered tree as one types, by
// the rules of split and fold here, and the e2e tests hold its hits to
// the ones Build marks for the same query.
//
// Must not import: server, api, store, components, views, net/http,
// github.com/a-h/templ, github.com/maxence-charriere/go-app.
package policyview
