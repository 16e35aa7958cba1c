package domain

import "example.com/forbidden/domain/rules"

// Allowed asks rules.
func Allowed() bool { return rules.Allowed() }
