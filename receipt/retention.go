package receipt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/kaiconn/consent/errs"
)

// The kinds of ending of a subject's chain. A chain ends when the person's
// account is cancelled or they ask for erasure (EndErased, sealed by an
// erasure record), or when the retention runs out on a chain whose newest
// receipt gives no consent any more (EndWithdrawn: everything withdrawn or
// refused, and no decision since). Nothing can be appended after either.
const (
	EndErased    = "erased"
	EndWithdrawn = "withdrawn"
)

// ErasureSchema names the format of an erasure record.
const ErasureSchema = "kaiconn-erasure/1"

// Who asked for an erasure, as Erasure.RequestedBy says.
const (
	ErasedByService = "account-service"
	ErasedByDevice  = "device"
)

// Erasure is the record that ends a subject's chain on an erasure request.
// The server countersigns its canonical (RFC 8785) JSON with the same keys
// and detached JWS as a receipt, so that an auditor holding the JWKS can
// check, long after the receipts' bodies were deleted, that the chain was
// closed on request, at which head, and when. Its members are all strings
// or integers, so encoding/json's output of it is already canonical.
type Erasure struct {
	Schema      string `json:"schema"`      // ErasureSchema
	Subject     string `json:"subject"`     // the subject whose chain it ends
	HeadHash    string `json:"headHash"`    // hash of the chain's newest receipt
	Receipts    int    `json:"receipts"`    // how many receipts the chain held
	ErasedAt    string `json:"erasedAt"`    // RFC 3339, UTC, milliseconds
	RequestedBy string `json:"requestedBy"` // ErasedByService or ErasedByDevice
}

// Ending is how and when a subject's chain ended, and, once the retention
// ran out and the purge deleted the receipts' bodies, when that happened.
type Ending struct {
	Subject  string
	Kind     string    // EndErased or EndWithdrawn
	EndedAt  time.Time // when the chain ended
	HeadHash string    // hash of the chain's newest receipt
	// Record is the canonical JSON of the Erasure of an erased chain, and
	// Countersig (a detached JWS) and KeyID the server's countersignature
	// of it; all empty for a withdrawn chain, whose newest receipt, a
	// withdrawal the person made, is its own ending.
	Record     []byte
	Countersig string
	KeyID      string
	// PurgedAt is when the purge deleted the chain's bodies; zero before.
	PurgedAt time.Time
}

// Hash returns the hex SHA-256 of the erasure record; "" when there is none.
func (e Ending) Hash() string {
	if len(e.Record) == 0 {
		return ""
	}
	sum := sha256.Sum256(e.Record)
	return hex.EncodeToString(sum[:])
}

// Hold is a legal hold on a subject: while it stands, the purge deletes
// none of the subject's receipts, whatever the retention says.
type Hold struct {
	Subject string
	Reason  string // why, for the record; required
	By      string // the officer who placed it
	At      time.Time
}

// CheckHold refuses a hold no store should record.
func CheckHold(h Hold) error {
	switch {
	case h.Subject == "":
		return errs.New(errs.Invalid, "subject: must not be empty")
	case h.Reason == "":
		return errs.New(errs.Invalid, "reason: a legal hold needs a reason")
	case len(h.Reason) > 500:
		return errs.New(errs.Invalid, "reason: at most 500 bytes")
	case h.By == "":
		return errs.New(errs.Invalid, "by: must name who holds")
	}
	return nil
}

// PurgeOptions say what one purge deletes.
type PurgeOptions struct {
	// Cutoff: the chains that ended at or before it are purged (now minus
	// the retention).
	Cutoff time.Time
	// DryRun counts what would be purged and changes nothing.
	DryRun bool
	// Batch is how many subjects one transaction purges; 200 when 0. A
	// crash loses at most the batch in progress, which is rolled back
	// whole, and the next run takes it again.
	Batch int
	// Node names who purges, for the operations page.
	Node string
	// Now is the time recorded as the purge's; time.Now when zero.
	Now time.Time
}

// DefaultPurgeBatch is PurgeOptions.Batch when it is 0.
const DefaultPurgeBatch = 200

// PurgeResult says what one purge did, or, dry, would do.
type PurgeResult struct {
	Subjects int // chains whose bodies were (or would be) deleted
	Receipts int // receipts turned into tombstones
	Held     int // chains due that a legal hold kept
	// Busy is true when another node was purging the same database: this
	// run did nothing, so that no work is done twice.
	Busy bool
}

// PurgeRun is one purge as the operations page lists it.
type PurgeRun struct {
	Node       string
	StartedAt  time.Time
	FinishedAt time.Time
	Cutoff     time.Time
	Result     PurgeResult
	Err        string // "" when it finished
}

// SubjectState is what the console's look-up says of a subject beyond its
// receipts.
type SubjectState struct {
	Ending *Ending // nil while the chain is open
	Hold   *Hold   // nil when not held
}

// Retention is a Store that can end chains, hold them and purge them.
//
// Erase ends subject's chain atomically with every Put: after it, Put of
// any record for the subject fails with errs.Conflict, and no Put
// committed meanwhile escapes it. seal builds the ending from the
// subject's newest record (a Tip) and its number of records, inside the
// transaction. A subject with no record is errs.NotFound; a subject whose
// chain ended already returns that ending with created false, unchanged.
//
// Purge turns the receipts of every chain that ended at or before the
// cutoff, and is held by no legal hold, into tombstones: the body,
// countersignature, states, decision, language and device key are deleted;
// the id, hash, previous hash, times and the kind of ending stay
// (Record.Ended, Record.PurgedAt). The subject's key enrolments go too.
// A subject's purge is all or nothing, so a crash leaves no chain half
// deleted, and a later run finishes the work. Insights' counts do not
// change. On PostgreSQL one node purges at a time; another that tries
// meanwhile gets Busy.
type Retention interface {
	Erase(ctx context.Context, subject string, seal func(tip Record, receipts int) (Ending, error)) (Ending, bool, error)
	// State returns a subject's ending and hold; both nil for an open
	// chain or an unknown subject.
	State(ctx context.Context, subject string) (SubjectState, error)
	// Hold places a legal hold (replacing the reason of one in place).
	Hold(ctx context.Context, h Hold) error
	// Release lifts a hold; errs.NotFound when there is none.
	Release(ctx context.Context, subject string) error
	Purge(ctx context.Context, opt PurgeOptions) (PurgeResult, error)
	// RecordPurge keeps a run for the operations page, and PurgeRuns
	// returns the newest n, newest first.
	RecordPurge(ctx context.Context, run PurgeRun) error
	PurgeRuns(ctx context.Context, n int) ([]PurgeRun, error)
}

// ErrEnded refuses a record for a subject whose chain ended. Its code and
// message are those of any other broken chain, so that the API's answer
// tells nobody that a subject was erased.
func ErrEnded() error {
	return errs.New(errs.Conflict, "prev_hash: is not the hash of the subject's newest receipt")
}
