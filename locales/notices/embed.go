package notices

import "embed"

// FS holds the notice files, "<hash>.json".
//
//go:embed *.json
var FS embed.FS
