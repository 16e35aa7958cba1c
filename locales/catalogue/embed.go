package catalogue

import "embed"

// FS holds the catalogue files, named <version>.toml.
//
//go:embed *.toml
var FS embed.FS
