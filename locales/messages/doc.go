// Package messages holds every UI string of the product as go-i18n message
// files, one file per feature and language ("privacy.zh-Hans.toml").
//
// One file per feature lets features be written side by side without
// editing one shared file; package lang loads them.
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package messages
