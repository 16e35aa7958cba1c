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
// templ view as on the server (views/gate), and so are the settings' parts
// that depend on the state (views/settingsview, RenderSettings), so no
// markup is written twice. Templ in the wasm costs its runtime (and
// html/template with it); writing the gate a second time as go-app
// components would have cost a second copy of every element to keep equal.
//
// The gate is never made to wait. gate.js answers a tap with the bridge
// message at once, without the wasm; the wasm renders the gate's view in a
// worker (Serve, web/static/engine.js), because its start is seconds of
// main-thread work on a slow phone (docs/measurements.md), and boot.js
// puts the markup in place only while the person has not decided.
//
// Nor are the settings. Their view of the host's state is rendered in the
// same worker (FirstSettings) and put in place by boot.js, keeping the
// switches the person flipped meanwhile; go-app does not start on such a
// page, so a switch, a native tick box, answers at once. On the app bundle
// the worker stays alive and decides each Save and "Withdraw all"
// (ChangeSettings, the server's one rule): it holds nothing between two
// requests, the page handing back the history it shows, and answers with
// the bridge message, the order bundle.js queues and the view that follows
// (SettingsReply, docs/bundle.md).
//
// Must not import: server, api, store, policyview, lists,
// modernc.org/sqlite, github.com/jackc/pgx, github.com/go-chi/chi.
package takeover
