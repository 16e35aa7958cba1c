package put

import (
	"time"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Precision is the finest time a store keeps. PostgreSQL keeps microseconds;
// SQLite is cut to match, so that a record reads back the same from either.
const Precision = time.Microsecond

// Prepare refuses a record no store could index and returns it as it will be
// stored: times in UTC at Precision, and ReceivedAt set to now when the
// caller left it zero, because the store is where acknowledgement happens.
func Prepare(r receipt.Record, now time.Time) (receipt.Record, error) {
	switch {
	case r.ID == "":
		return receipt.Record{}, errs.New(errs.Invalid, "id: must not be empty")
	case r.Subject == "":
		return receipt.Record{}, errs.New(errs.Invalid, "subject: must not be empty")
	case r.Hash == "":
		return receipt.Record{}, errs.New(errs.Invalid, "hash: must not be empty")
	}
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = now
	}
	r.IssuedAt = Time(r.IssuedAt)
	r.ReceivedAt = Time(r.ReceivedAt)
	if r.Body == nil {
		// A NOT NULL column would refuse nil; an empty body reads back
		// as empty, not nil, so store it as such from the start.
		r.Body = []byte{}
	}
	return r, nil
}

// Time is t as stores keep it: UTC, at Precision, without a monotonic
// reading.
func Time(t time.Time) time.Time { return t.UTC().Truncate(Precision) }

// ErrChain is the conflict a record gets when it does not extend its
// subject's chain from the newest record.
func ErrChain() error {
	return errs.New(errs.Conflict, "prev_hash: is not the hash of the subject's newest receipt")
}
