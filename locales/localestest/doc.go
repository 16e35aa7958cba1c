// Package localestest gives tests the policy texts and purpose catalogues
// they are written against, so that shipping a new policy version changes
// no test.
//
// Behaviour tests hold to fixed versions, never to "whatever is newest":
// Base, the first published version, which is never edited (a change is a
// new version), and Later, the fictitious later version under testdata,
// which differs from Base in a few known ways. Policy and Catalogues put
// the versions a test names, and only those, into file systems for the
// server's CatalogueFS and PolicyFS seams. Only the tests of shipped facts
// read locales/ as a whole (Shipped).
//
// Must not import: server, api, store, components, views,
// github.com/maxence-charriere/go-app.
package localestest
