package put

import (
	"encoding/json"
	"time"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Precision is the finest time a store keeps. PostgreSQL keeps microseconds;
// SQLite is cut to match, so that a record reads back the same from either.
const Precision = time.Microsecond

// Prepare refuses a record no store could index and returns it as it will be
// stored: times in UTC at Precision, ReceivedAt set to now when the caller
// left it zero, because the store is where acknowledgement happens, and "no
// states" always nil, so that a record reads back equal to what Put returned.
func Prepare(r receipt.Record, now time.Time) (receipt.Record, error) {
	switch {
	case r.ID == "":
		return receipt.Record{}, errs.New(errs.Invalid, "id: must not be empty")
	case r.Subject == "":
		return receipt.Record{}, errs.New(errs.Invalid, "subject: must not be empty")
	case r.Hash == "":
		return receipt.Record{}, errs.New(errs.Invalid, "hash: must not be empty")
	case r.Schema < 1 || r.Schema > 3:
		return receipt.Record{}, errs.New(errs.Invalid, "schema: must be 1, 2 or 3, not %d", r.Schema)
	}
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = now
	}
	r.IssuedAt = Time(r.IssuedAt)
	r.ReceivedAt = Time(r.ReceivedAt)
	if !r.ShownAt.IsZero() {
		r.ShownAt = Time(r.ShownAt)
	}
	if r.Body == nil {
		// A NOT NULL column would refuse nil; an empty body reads back
		// as empty, not nil, so store it as such from the start.
		r.Body = []byte{}
	}
	if len(r.States) == 0 {
		r.States = nil
	} else {
		// A copy, so that the caller changing its map later cannot change
		// what a memory store holds or what Put answered.
		states := make(map[string]string, len(r.States))
		for k, v := range r.States {
			states[k] = v
		}
		r.States = states
	}
	return r, nil
}

// Time is t as stores keep it: UTC, at Precision, without a monotonic
// reading.
func Time(t time.Time) time.Time { return t.UTC().Truncate(Precision) }

// Facts are what a store looked up, inside the transaction that will insert
// the record, for Check to judge.
type Facts struct {
	// Head is the hash of the subject's newest record; "" when the subject
	// has none (a record's hash is never empty).
	Head string
	// HeadVersion is the policy version of the subject's newest record.
	HeadVersion string
	// KeySubject is the subject the record's device key is enrolled for;
	// "" when it is enrolled for none, or the record has no device key.
	KeySubject string
}

// Check applies the chain and device-key rules of receipt.Store.Put to a
// record whose id is not stored yet, and sets r.Reask. It reports whether
// the record enrolls its device key, or the coded error that refuses it.
func Check(r *receipt.Record, opt receipt.PutOptions, f Facts) (enroll bool, err error) {
	if opt.NewSubject && f.Head != "" {
		// Before the chain: a caller that would read the head again on a
		// conflict must not chain onto a subject its credential no longer
		// names.
		return false, ErrNotNew()
	}
	if r.PrevHash != f.Head {
		return false, ErrChain()
	}
	r.Reask = Reask(f.HeadVersion, r.PolicyVersion)
	switch {
	case r.DeviceKey == "":
		// Server-attested: the server vouched for the subject with a
		// credential of its own; there is no key to check.
		return false, nil
	case f.KeySubject == r.Subject:
		return false, nil
	case f.KeySubject != "":
		return false, errs.New(errs.Forbidden, "device_key: is enrolled for another subject")
	case f.Head == "":
		// The subject's first receipt creates it and enrolls its key.
		return true, nil
	case opt.EnrollKey:
		return true, nil
	}
	return false, errs.New(errs.Forbidden, "device_key: is not enrolled for this subject")
}

// CheckEnroll applies the rules of receipt.Store.Enroll: the subject must
// exist (hasRecords), and the key be enrolled for no other subject. It
// reports whether an enrolment must be written.
func CheckEnroll(subject string, hasRecords bool, keySubject string) (write bool, err error) {
	switch {
	case keySubject == subject:
		return false, nil
	case keySubject != "":
		return false, errs.New(errs.Forbidden, "device_key: is enrolled for another subject")
	case !hasRecords:
		return false, errs.New(errs.NotFound, "subject: has no receipt")
	}
	return true, nil
}

// CheckEnrollArgs refuses an Enroll no store could record.
func CheckEnrollArgs(subject, thumbprint, by string) error {
	switch {
	case subject == "":
		return errs.New(errs.Invalid, "subject: must not be empty")
	case thumbprint == "":
		return errs.New(errs.Invalid, "thumbprint: must not be empty")
	case by == "":
		return errs.New(errs.Invalid, "by: must name the receipt or statement that enrolls the key")
	}
	return nil
}

// CheckNonce refuses a nonce that is empty or already expired at now.
func CheckNonce(nonce string, expires, now time.Time) error {
	switch {
	case nonce == "":
		return errs.New(errs.Invalid, "nonce: must not be empty")
	case !expires.After(now):
		return ErrNonce()
	}
	return nil
}

// ErrChain is the conflict a record gets when it does not extend its
// subject's chain from the newest record.
func ErrChain() error {
	return errs.New(errs.Conflict, "prev_hash: is not the hash of the subject's newest receipt")
}

// ErrNotNew refuses a record whose subject was named by a ticket once the
// subject has a record (receipt.PutOptions.NewSubject).
func ErrNotNew() error {
	return errs.New(errs.Forbidden, "subject: has receipts; a ticket names a subject only while it has none")
}

// ErrNonce is the conflict of a nonce used twice or past its expiry.
func ErrNonce() error {
	return errs.New(errs.Conflict, "nonce: already used or expired")
}

// KeyNotFound is KeySubject's answer for a key enrolled for no subject.
func KeyNotFound() error {
	return errs.New(errs.NotFound, "device key: not enrolled")
}

// EncodeStates is how stores keep Record.States: a JSON object, "{}" when
// there is none, so that SQL can still look inside it (json_extract,
// jsonb operators).
func EncodeStates(states map[string]string) string {
	if len(states) == 0 {
		return "{}"
	}
	b, err := json.Marshal(states)
	if err != nil {
		panic(err) // A map of strings always marshals.
	}
	return string(b)
}

// DecodeStates reads what EncodeStates wrote; "{}" is nil.
func DecodeStates(s []byte) (map[string]string, error) {
	var states map[string]string
	if err := json.Unmarshal(s, &states); err != nil {
		return nil, err
	}
	if len(states) == 0 {
		return nil, nil
	}
	return states, nil
}
