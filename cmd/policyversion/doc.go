// Command policyversion regenerates everything derived from locales/ when
// a policy version is added (make policy-version), so that a new version
// is its files plus this one command.
//
// It loads every policy version under locales/policy with its catalogue
// under locales/catalogue and holds each to the other (a mistake stops it,
// naming the file and the clause); writes locales/catalogue/latest.go (the
// newest version, catalogue.Latest); drives the existing generators: the
// table of docs/bridge.md §6 (which SDK call each purpose unlocks, go test
// ./hygiene -update, from what -sdk-calls prints of the newest catalogue),
// the notice registry (go test ./notice -update) and the policy hashes
// (go test ./policy -update), refusing a change to the hash of a text
// already published; and prints what the newest version re-asks of a
// person who accepted the one before it. Run it from the module's root.
// docs/policy-versions.md tells the whole procedure.
//
// Must not import: server, api, store, components, views, net/http,
// github.com/maxence-charriere/go-app.
package main
