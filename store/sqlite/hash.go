package sqlite

import (
	"encoding/hex"
	"fmt"
)

// hashValue is how a hash is kept: the 32 bytes of a lowercase hex SHA-256,
// half the size of its hex, and any other value as the text it is, so that
// every value reads back exactly as it was given. "" (no predecessor) is
// kept as ”.
func hashValue(h string) any {
	if len(h) != 64 {
		return h
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return h
		}
	}
	b, _ := hex.DecodeString(h) // checked above
	return b
}

// hashColumn scans what hashValue kept back into its string.
type hashColumn struct{ s *string }

func (h hashColumn) Scan(src any) error {
	switch v := src.(type) {
	case []byte:
		if len(v) == 32 {
			*h.s = hex.EncodeToString(v)
			return nil
		}
		*h.s = string(v)
	case string:
		*h.s = v
	case nil:
		*h.s = ""
	default:
		return fmt.Errorf("hash: unexpected %T", src)
	}
	return nil
}
