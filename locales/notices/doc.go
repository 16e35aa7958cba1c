// Package notices embeds the registry of notices: every text a
// kaiconn-receipt/2 receipt names by hash (the shown notice a receipt names,
// and the purpose, withdrawal and controller notices it lists), one file per
// notice, named "<hash>.json", the hash being the lowercase hex SHA-256 of
// the file's RFC 8785 canonical form. The files are pretty-printed for
// people; read them with package notice.
//
// The registry only grows. A catalogue edit adds the notices of the new
// texts (go test ./notice -update writes them) and never removes one, since
// receipts given under the old texts keep naming them.
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package notices
