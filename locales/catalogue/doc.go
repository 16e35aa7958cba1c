// Package catalogue embeds the purpose catalogue of every policy version, one
// TOML file per version (2022-10.toml for the policy updated October 2022).
//
// The files are data, not code, so that lawyers can review a change to what
// is asked without reading Go; package consent loads and validates them.
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package catalogue
