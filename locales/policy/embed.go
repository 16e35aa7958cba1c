// Package policydata embeds the privacy policy sources, one directory per
// policy version, so that the server and the WebAssembly UI load the same
// bytes (and so compute the same SHA-256 for a receipt). Parse them with
// policy.Load(policydata.FS).
package policydata

import "embed"

// FS holds "<version>/<lang>.md", e.g. "2022-10/zh-Hans.md". The pattern
// picks up a new version directory without a code change.
//
//go:embed */*.md
var FS embed.FS
