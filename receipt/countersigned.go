package receipt

import (
	"encoding/json"
	"strings"
	"time"
)

// Countersigned is a stored receipt as the API returns it and as the
// verifier reads it: the device-signed envelope with the server's
// countersignature.
//
// A tombstone (a receipt whose body the retention's purge deleted) has no
// envelope and no countersignature; it carries PrevHash and Tombstone
// instead, so that the chain through it can still be followed
// (docs/receipts.md, "Erasure, retention and tombstones").
type Countersigned struct {
	ID               string          `json:"id"`
	Hash             string          `json:"hash"`
	Envelope         json.RawMessage `json:"envelope,omitempty"`
	Countersignature string          `json:"countersignature"`
	KeyID            string          `json:"kid"`
	ReceivedAt       time.Time       `json:"receivedAt"`
	PrevHash         string          `json:"prevHash,omitempty"`
	Tombstone        *Tombstone      `json:"tombstone,omitempty"`
}

// Tombstone says why and when a receipt's body was deleted.
type Tombstone struct {
	Ended    string    `json:"ended"` // EndErased or EndWithdrawn
	PurgedAt time.Time `json:"purgedAt"`
}

// History is a subject's chain of receipts, oldest first.
type History struct {
	Subject  string          `json:"subject"`
	Receipts []Countersigned `json:"receipts"`
}

// FromRecord returns the wire form of a stored record.
func FromRecord(r Record) Countersigned {
	if r.IsTombstone() {
		return Countersigned{ID: r.ID, Hash: r.Hash, KeyID: r.KeyID, ReceivedAt: r.ReceivedAt, PrevHash: r.PrevHash,
			Tombstone: &Tombstone{Ended: r.Ended, PurgedAt: r.PurgedAt}}
	}
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
