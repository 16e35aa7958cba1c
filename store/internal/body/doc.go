// Package body is how stores keep a receipt's body: compressed with
// DEFLATE and a preset dictionary of the receipt format's own member names,
// which roughly halves a kaiconn-receipt/2 body, since about half of it is
// JSON structure that every receipt repeats. The bytes a store hands back
// are always exactly the bytes it was given; compression is invisible above
// the store.
//
// Every stored body is tagged with its codec. Codec numbers and the
// dictionary of a codec never change once released, since stored bodies
// depend on them for ever: a better dictionary is a new codec.
//
// Must not import: server, api, components, views, modernc.org/sqlite,
// github.com/jackc/pgx, net/http.
package body
