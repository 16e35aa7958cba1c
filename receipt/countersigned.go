package receipt

import (
	"encoding/json"
	"strings"
	"time"
)

// Countersigned is a stored receipt as the API returns it and as the
// verifier reads it: the device-signed envelope with the server's
// countersignature.
type Countersigned struct {
	ID               string          `json:"id"`
	Hash             string          `json:"hash"`
	Envelope         json.RawMessage `json:"envelope"`
	Countersignature string          `json:"countersignature"`
	KeyID            string          `json:"kid"`
	ReceivedAt       time.Time       `json:"receivedAt"`
}

// History is a subject's chain of receipts, oldest first.
type History struct {
	Subject  string          `json:"subject"`
	Receipts []Countersigned `json:"receipts"`
}

// FromRecord returns the wire form of a stored record.
func FromRecord(r Record) Countersigned {
	return Countersigned{
		ID:               r.ID,
		Hash:             r.Hash,
		Envelope:         json.RawMessage(r.Body),
		Countersignature: r.Countersig,
		KeyID:            r.KeyID,
		ReceivedAt:       r.ReceivedAt,
	}
}

// IsDetached tells whether a compact JWS has a detached payload, that is an
// empty middle segment: "<protected>..<signature>".
func IsDetached(jws string) bool {
	protected, rest, ok := strings.Cut(jws, ".")
	return ok && protected != "" && strings.HasPrefix(rest, ".") && !strings.Contains(rest[1:], ".")
}
