// Package texts holds the product's two languages and the UI strings of a
// page already resolved: what the wasm needs of package lang without its
// message files, their TOML parser or the language matcher.
//
// The server loads every message (package lang) and hands a page's wasm the
// messages it shows, in the reader's language, as JSON; the wasm fills
// their {{.Name}} placeholders with the same Localizer the server uses, so
// both render the same words.
//
// Must not import: github.com/kaiconn/consent (any package of this module),
// github.com/BurntSushi/toml, github.com/nicksnyder/go-i18n, text/template,
// golang.org/x/text, regexp.
package texts
