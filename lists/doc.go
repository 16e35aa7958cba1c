// Package lists builds the two lists of the privacy centre from the purpose
// catalogue and the policy: the personal information collected
// (个人信息收集清单), business function by business function, and the third
// parties it is shared with (第三方信息共享清单), SDK by SDK.
//
// The lists repeat nothing by hand: each data item, use, scope and link is
// the policy's own text (an SDK table row or a clause the catalogue quotes),
// and the catalogue, which consent.CheckPolicy holds to the policy, only
// says which function or purpose it belongs to. A list is a policyview
// tree, which the server's templ page writes, and its hash is computed over
// the text it shows.
//
// Building a list from the catalogue and the policy is the server's (build
// tag !wasm). Data.Page filters it; web/static/reader.js filters the
// rendered list as one types by the same rule (an entry holds the query in
// one of its lines of text, or its group's head does).
//
// Must not import: server, api, store, receipt, components, views,
// net/http, github.com/a-h/templ, github.com/maxence-charriere/go-app,
// modernc.org/sqlite, github.com/jackc/pgx.
package lists
