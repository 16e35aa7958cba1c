package receipt

import (
	"context"
	"time"
)

// Record is what the server keeps of one acknowledged receipt.
type Record struct {
	ID            string    // receipt id, a UUID
	Subject       string    // pseudonymous subject id, never a phone number or a name
	PrevHash      string    // hex SHA-256 of the subject's previous receipt; "" for the first
	Hash          string    // hex SHA-256 of Body
	PolicyVersion string    // policy version the receipt was given under
	Surface       string    // first-launch | web-banner | settings
	IssuedAt      time.Time // when the device made the decision
	ReceivedAt    time.Time // when the server acknowledged it
	Body          []byte    // canonical (RFC 8785) JSON of the device-signed receipt
	Countersig    string    // JWS (compact serialisation) by the server key
	KeyID         string    // kid of the server key that countersigned
}

// Store keeps records durably. Put returns only once the record is durable.
// Stores keep times in UTC at microsecond precision, and set ReceivedAt to
// the time of acknowledgement when the caller leaves it zero.
type Store interface {
	// Put stores r. When a record with r.ID already exists it is returned
	// unchanged with created false (idempotent retries). When r.PrevHash is
	// not the hash of the subject's newest record ("" when it has none), Put
	// stores nothing and fails with code errs.Conflict.
	Put(ctx context.Context, r Record) (stored Record, created bool, err error)
	// Get fails with code errs.NotFound when no record has that id.
	Get(ctx context.Context, id string) (Record, error)
	// Subject returns a subject's records, oldest first.
	Subject(ctx context.Context, subject string) ([]Record, error)
	// Head returns the subject's newest record; errs.NotFound when none.
	Head(ctx context.Context, subject string) (Record, error)
	// Export calls fn for every record in the order they were received.
	Export(ctx context.Context, fn func(Record) error) error
	Close() error
}
