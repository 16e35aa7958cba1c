// Package consent is the consent domain: the purposes a person is asked
// about under each policy version, the decision they make on a surface, and
// the rules that make that decision lawful.
//
// Each catalogue also holds, versioned with its policy, the rights centre
// (how each right of the policy's section 5 is exercised and within which
// deadline), the facts a person may confirm on a surface (the 18+
// confirmation of section 6, recorded as a fact, never as a purpose) and
// the minors sentence the gate shows word for word.
//
// The rules follow PIPL and the MIIT app rules: nothing optional is
// pre-ticked, refusing optional purposes never blocks basic use, required
// processing cannot be withdrawn, a new policy version re-asks only what
// changed, and nobody is asked again within 48 hours of a refusal unless they
// open the choices themselves.
//
// The package knows nothing of HTTP, SQL or the DOM and builds for wasm, so
// the app, the banner and the server apply the very same rules. It knows
// nothing of receipts either: consentreceipt joins the two. It does read
// the policy (package policy): CheckPolicy holds each catalogue to the
// clauses it cites, so that the gate, the receipts and the lists of data
// collected and shared say what the policy says.
//
// Must not import: server, api, store, receipt, consentreceipt,
// components, views, net/http, modernc.org/sqlite, github.com/jackc/pgx,
// github.com/maxence-charriere/go-app.
package consent
