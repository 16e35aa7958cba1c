package rules

import "example.com/forbidden/web"

// Allowed asks web, which domain must not depend on.
func Allowed() bool { return web.Ready }
