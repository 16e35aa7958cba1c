// Package messages holds every UI string of the product as go-i18n message
// files, one file per feature and language ("privacy.zh-Hans.toml"), so that
// features can be written side by side without editing one shared file.
package messages

import "embed"

// FS holds the message files.
//
//go:embed *.toml
var FS embed.FS
