// Package documents is the web surface of the privacy policy and what
// explains it: the policy viewer at /privacy, the two lists at
// /privacy/collected and /privacy/shared, and the permission pages at
// /permission.
//
// The pages read the policy library and the purpose catalogues; what they
// need of the rest of the program (the layout, the reader's language, the
// person's app decision) they declare in Deps, and the server only mounts
// them (server.mountDocuments). None of them records anything.
//
// Must not import: server, api, admin, store, recorder, credential.
package documents
