// Package appconsent is the web surface of the app's own consent: the
// first-launch gate at /consent (and /consent/done after a decision posted
// without script), the privacy settings at /settings/privacy with their
// rights centre, and the kc_app_consent cookie that remembers a browser's
// decisions when no host app hands its state over (docs/bridge.md).
//
// It declares in Deps what it needs of the program (the subject credential
// and tickets, the form guard, the recorder, the reader's language, the
// answers of a form post); the server only mounts it (server.newAppConsent).
//
// Must not import: server, api, admin, banner, documents, assets, store,
// datadir.
package appconsent
