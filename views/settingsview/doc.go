// Package settingsview is the markup of the privacy settings
// (/settings/privacy) that depends on the person's choices, written once as
// a templ view: the header, the saved and error notices, the summary card,
// the choices form with its switches and buttons, and the history with its
// downloads, around the parts no choice changes (the links, the rights
// centre, the contact block, the third parties), which the page keeps.
//
// Three renderers read it, so no markup of the settings exists twice: the
// server renders the page from it (views.Settings, which adds the parts no
// choice changes); the go-app component (components.Settings) renders the
// same parts again after each change, keeping the page's other parts as
// the server wrote them; and on a page rendered without state (the app's
// bundle) the wasm renders the <main> for the host's ?state=
// (takeover.RenderSettings). It reads view models and resolved strings
// only (consentview, lang/texts), as views/gate does.
//
// Must not import: server, api, store, lists, policyview, components,
// locales, github.com/maxence-charriere/go-app, modernc.org/sqlite,
// github.com/jackc/pgx, github.com/go-chi/chi.
package settingsview
