// Package policyview turns a policy document into one render-ready tree of
// elements, with search hits marked.
//
// The server's templ page and the wasm's go-app component both walk this
// tree, so the page the server sends and the page the wasm takes over are
// the same markup, element for element, and a reader's place (an id)
// survives the swap and a language switch. It must stay neutral between the
// two renderers.
//
// Building the tree from a parsed policy is the server's (build tag
// !wasm): the wasm receives a Tree as JSON and marks a search in it with
// Tree.Mark, which numbers the hits as Build does, so it carries no policy
// parser.
//
// Must not import: server, api, store, components, views, net/http,
// github.com/a-h/templ, github.com/maxence-charriere/go-app.
package policyview
