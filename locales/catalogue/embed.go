// Package catalogue embeds the purpose catalogue of every policy version, one
// TOML file per version (2022-10.toml for the policy updated October 2022).
// The files are data, not code, so that lawyers can review a change to what
// is asked without reading Go; package consent loads and validates them.
package catalogue

import "embed"

// Latest is the version of the policy currently in force.
const Latest = "2022-10"

// FS holds the catalogue files, named <version>.toml.
//
//go:embed *.toml
var FS embed.FS
