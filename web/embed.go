package web

import "embed"

// Static is served under /static/.
//
//go:embed static
var Static embed.FS
