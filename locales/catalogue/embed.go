package catalogue

import "embed"

// Latest is the version of the policy currently in force.
const Latest = "2022-10"

// FS holds the catalogue files, named <version>.toml.
//
//go:embed *.toml
var FS embed.FS
