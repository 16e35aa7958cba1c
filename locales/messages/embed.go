package messages

import "embed"

// FS holds the message files.
//
//go:embed *.toml
var FS embed.FS
