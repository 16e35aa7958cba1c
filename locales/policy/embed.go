package policydata

import "embed"

// FS holds "<version>/<lang>.md", e.g. "2022-10/zh-Hans.md". The pattern
// picks up a new version directory without a code change.
//
//go:embed */*.md
var FS embed.FS
