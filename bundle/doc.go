// Package bundle writes the app bundle: the consent surfaces the phone app
// ships inside itself and shows from its own assets, so that the first
// launch works with no network (docs/bundle.md).
//
// It holds no markup. It starts the real program (server.Open, on a
// throwaway data directory) and asks its http.Handler, in-process, for
// each surface as a first launch asks for it: no cookie, no state, one
// request per language. What comes back is the server's own page, rendered
// by the same views; the bundle only rewrites its URLs, so that links
// between the bundle's pages and to its assets become relative paths inside
// the bundle, and what only the consent server can answer (the decision
// forms, the receipt API) goes to the configured origin. Driving the
// handler rather than calling the views keeps one render source: a page
// gains nothing in the bundle that the server did not send, and a change to
// a view reaches the bundle at its next build with no code here.
//
// A bundle page carries no ticket. Tickets are minted per page by the
// server that will check them; one minted at build time would be signed by
// the throwaway key and shared by every install.
//
// The Content-Security-Policy of a bundle page is the server's own header,
// with the consent server's origin added where a page must reach it
// (connect-src, form-action), written as a meta element since a file from
// the app's assets has no response header to carry it.
//
// Must not import: store/memstore, store/storetest, store/pgtest,
// receipt/receipttest, e2e, hygiene.
package bundle
