package receipt

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// Record is what the server keeps of one acknowledged receipt. Body is the
// receipt itself; the other fields are what the store indexes and checks,
// copied out of the body by the caller so that the store never parses it.
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
	Countersig    string    // JWS (compact or detached serialisation) by the server key
	KeyID         string    // kid of the server key that countersigned

	Language string            // receipt.language
	Decision string            // receipt.decision
	Schema   int               // receipt format version: 1, 2 or 3
	States   map[string]string // purpose id -> given | refused | withdrawn
	// DeviceKey is the RFC 7638 thumbprint of the device key that signed
	// the receipt; "" when the server attested it. The store enforces the
	// subject's key rules on it (see Store.Put).
	DeviceKey string
	// ShownAt is when the surface was shown (a ticket's mint time); zero
	// when unknown, as for every receipt stored before tickets existed.
	ShownAt time.Time
	// Reask is true when the subject's previous receipt was given under an
	// older policy version, so this decision answers a new question. The
	// store sets it from the subject's head when it stores the record.
	Reask bool

	// Ended is set on a tombstone, a record whose body the retention's
	// purge deleted: the kind of ending of its chain (EndErased or
	// EndWithdrawn), and PurgedAt when. A tombstone keeps its id, subject,
	// hashes, times, policy version, surface and key id; its Body is
	// empty, and so are Countersig, States, Decision, Language and
	// DeviceKey. "" for a record whose body is kept.
	Ended    string
	PurgedAt time.Time
}

// IsTombstone tells whether the purge deleted r's body.
func (r Record) IsTombstone() bool { return r.Ended != "" }

// SchemaNumber returns N of a "kaiconn-receipt/N" schema, as Record.Schema
// keeps it; 0 for any other string.
func SchemaNumber(schema string) int {
	v, ok := strings.CutPrefix(schema, "kaiconn-receipt/")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// PutOptions qualify one Put.
type PutOptions struct {
	// EnrollKey lets a device key that is not yet enrolled for an existing
	// subject sign that subject's next receipt, and enrolls it. The caller
	// sets it only after verifying the browser's own subject credential
	// (kc_sub) for this very subject, never on a ticket alone or on the
	// client's word: a ticket names a subject only while it has no receipt
	// (credential.Ticket.NamesSubject), and such a subject's first receipt
	// enrolls its key without the option.
	EnrollKey bool
	// NewSubject says that r's subject was named by a credential that names
	// a subject only while it has no record (a ticket): r must then be its
	// subject's first record, else Put refuses it with errs.Forbidden,
	// atomically with the insert, so that a subject that gained a record
	// after the caller looked is never joined on that credential.
	NewSubject bool
}

// Store keeps records durably. Put returns only once the record is durable.
// Stores keep times in UTC at microsecond precision, and set ReceivedAt to
// the time of acknowledgement when the caller leaves it zero.
//
// A subject is created by its first receipt. Which device keys may append
// to it is recorded in the store too (enrolments), so that the check and
// the append are one atomic step.
type Store interface {
	// Put stores r, atomically with these checks, in this order:
	//   - when a record with r.ID already exists it is returned unchanged
	//     with created false (idempotent retries), whatever r holds;
	//   - with opt.NewSubject, the subject must have no record, else
	//     errs.Forbidden;
	//   - r.PrevHash must be the hash of the subject's newest record (""
	//     when it has none), else errs.Conflict;
	//   - when r.DeviceKey is not "": a key enrolled for another subject is
	//     refused; for a subject with no record the key is enrolled by r; for
	//     an existing subject the key must be enrolled for it, or
	//     opt.EnrollKey be set, and then r enrolls it. A refusal is
	//     errs.Forbidden. A server-attested record (DeviceKey "") is not
	//     subject to key rules.
	// A refused record stores nothing, and enrolls nothing. Put sets
	// r.Reask itself, from the head it checked r against.
	Put(ctx context.Context, r Record, opt PutOptions) (stored Record, created bool, err error)
	// Get fails with code errs.NotFound when no record has that id.
	Get(ctx context.Context, id string) (Record, error)
	// Subject returns a subject's records, oldest first.
	Subject(ctx context.Context, subject string) ([]Record, error)
	// Head returns the subject's newest record; errs.NotFound when none.
	Head(ctx context.Context, subject string) (Record, error)
	// Tip is Head without the body and the countersignature (empty): what
	// a subject's next receipt is checked against (its hash, surface and
	// states), read without decoding a body. errs.NotFound when none.
	Tip(ctx context.Context, subject string) (Record, error)
	// Export calls fn for every record in the order they were received.
	Export(ctx context.Context, fn func(Record) error) error

	// Enroll enrolls the device key with RFC 7638 thumbprint for subject;
	// by names what vouched for it (a receipt id or a statement), for the
	// record. Enrolling a key again for its own subject does nothing; a key
	// enrolled for another subject is errs.Forbidden; a subject with no
	// record is errs.NotFound.
	Enroll(ctx context.Context, subject, thumbprint, by string) error
	// KeySubject returns the subject a key is enrolled for; errs.NotFound
	// when it is enrolled for none.
	KeySubject(ctx context.Context, thumbprint string) (subject string, err error)
	// UseNonce records that nonce was used. It fails with errs.Conflict when
	// the nonce was used before or expires is not in the future, so a nonce
	// is accepted at most once and never after it expired. Nonces are
	// forgotten once expired.
	UseNonce(ctx context.Context, nonce string, expires time.Time) error

	// Ping checks, cheaply, that the store answers and its schema is there:
	// for health checks.
	Ping(ctx context.Context) error

	Close() error
}

// ChainFacts are what a subject's next device-signed receipt is checked
// against before anything is spent on it: the subject's newest record and
// the subject its device key is enrolled for.
type ChainFacts struct {
	// Exists tells whether the subject has a record; Hash, Surface and
	// States are then those of its newest one.
	Exists  bool
	Hash    string
	Surface string
	States  map[string]string
	// KeySubject is the subject the key is enrolled for; "" for none.
	KeySubject string
}

// ChainFactsReader is a Store that reads ChainFacts in one look-up, rather
// than Tip and KeySubject one after the other: the API reads them before
// every append, and each look-up is a read transaction of its own. What it
// returns is a snapshot that Put checks again atomically, as it does Tip's
// and KeySubject's answers.
type ChainFactsReader interface {
	ChainFacts(ctx context.Context, subject, thumbprint string) (ChainFacts, error)
}
