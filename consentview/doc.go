// Package consentview computes what the first-launch gate and the privacy
// settings show for a person's decisions: the view models (GateView,
// SettingsView), from the catalogues of every policy version, the host
// app's ?state= and the rules of package consent (the re-ask, the quiet
// period, the facts that changed).
//
// The server and the wasm run this same code. The server renders a page
// from it; on a page rendered without any state (the app's offline bundle,
// or a first launch), the wasm reads the host's ?state= and computes the
// view the server would have rendered for it, from the catalogues resolved
// to JSON at build time (catalogues.json, `make generate`): the wasm carries
// no TOML parser, no policy and no server code. Which markup the view
// becomes is not decided here: the gate is rendered by one templ view
// (views/gate) on both sides, the settings' parts that depend on the state
// by another (views/settingsview).
//
// It also holds the rules of a decision taken on them (GateDecision,
// ChangeSettings), so that the bridge message a page sends at the tap and
// the receipt the server records are decided by the same code: the gate's
// page data names the kind each button's decision will have, and the
// settings' change is decided again by the server's order endpoint.
//
// In the wasm build it has no TOML parser: consent reads TOML on the
// server only (hygiene TestWasmCarriesNoServerCode).
//
// Must not import: server, api, store, views, components, net/http,
// github.com/a-h/templ, github.com/maxence-charriere/go-app,
// modernc.org/sqlite, github.com/jackc/pgx.
package consentview
