package console

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Actions an operator takes, as the audit log names them.
const (
	ActionSignIn         = "sign-in"
	ActionSignOut        = "sign-out"
	ActionViewInsights   = "view-insights"
	ActionViewOperations = "view-operations"
	ActionLookUp         = "look-up"       // target: what was searched for
	ActionViewSubject    = "view-subject"  // target: the subject
	ActionDownloadHTML   = "download-html" // target: the subject
	ActionDownloadJSON   = "download-json" // target: the subject
	ActionViewAudit      = "view-audit"
	ActionExportAudit    = "export-audit"
	ActionAddOperator    = "add-operator" // by the CLI; target: the operator
	ActionDisable        = "disable-operator"
	ActionEnable         = "enable-operator"
	ActionSetPassword    = "set-password"
	// ActionExportReceipts is GET /api/v1/export: every receipt, by the
	// machines' bearer token (operator ExportToken).
	ActionExportReceipts = "export-receipts"
	// Erasure, holds and the purge.
	ActionErase   = "erase-subject" // by the account service or a device; target: the subject
	ActionHold    = "hold"          // target: the subject
	ActionRelease = "release-hold"  // target: the subject
)

// ExportToken is the operator name of what the export's bearer token
// (-admin-token) does: it is no person's.
const ExportToken = "(export token)"

// CLI is the operator name of actions taken with the kaiconn admin
// command, which runs on the server with the database's own rights.
const CLI = "(cli)"

// Entry is one line of the audit log. The log only grows: stores refuse to
// change or remove an entry, and each entry's hash covers the one before,
// so that an entry removed or changed by hand breaks the chain from there
// on (VerifyAudit).
type Entry struct {
	Seq      int64     `json:"seq"` // 1 for the first entry
	At       time.Time `json:"at"`
	Operator string    `json:"operator"` // "" for a sign-in under a name no operator has
	Role     Role      `json:"role,omitempty"`
	Action   string    `json:"action"`
	Target   string    `json:"target,omitempty"` // a subject, a receipt id, an operator; never a password
	Outcome  string    `json:"outcome"`          // OutcomeOK, OutcomeDenied, …
	PrevHash string    `json:"prevHash"`         // the hash of entry Seq-1; "" for the first
	Hash     string    `json:"hash"`
}

// Chain fills e's place in the log after prev (nil for the first entry):
// Seq, PrevHash and Hash. Stores call it inside the transaction that
// appends e.
func (e *Entry) Chain(prev *Entry) {
	e.Seq, e.PrevHash = 1, ""
	if prev != nil {
		e.Seq, e.PrevHash = prev.Seq+1, prev.Hash
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.Hash = e.hash()
}

// hash is the hex SHA-256 of the RFC 8785 form of every member but Hash.
func (e Entry) hash() string {
	c := e
	c.Hash = ""
	raw, err := json.Marshal(c)
	if err != nil {
		panic(err) // strings, numbers and a time always marshal
	}
	canon, err := jcs.Transform(raw)
	if err != nil {
		panic(err)
	}
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}

// VerifyAudit checks a whole log, oldest first: numbered from 1 without a
// gap, each entry naming the hash of the one before and hashing to its own
// Hash.
func VerifyAudit(entries []Entry) error {
	prev := ""
	for i, e := range entries {
		switch {
		case e.Seq != int64(i+1):
			return errs.New(errs.Unprocessable, "audit[%d]: seq %d, want %d: an entry is missing", i, e.Seq, i+1)
		case e.PrevHash != prev:
			return errs.New(errs.Unprocessable, "audit[%d]: prevHash is not the hash of entry %d", i, i)
		case e.hash() != e.Hash:
			return errs.New(errs.Unprocessable, "audit[%d]: hash does not match the entry: it was changed", i)
		}
		prev = e.Hash
	}
	return nil
}

// String is e in one line, for people.
func (e Entry) String() string {
	return fmt.Sprintf("%d %s %s %s %s %s", e.Seq, e.At.Format(time.RFC3339), e.Operator, e.Action, e.Target, e.Outcome)
}

// Checkpoints anchor the audit log. The hash chain alone shows an entry
// changed or removed only to someone who cannot re-hash: whoever can
// write the database can delete an entry and recompute every hash after
// it. A checkpoint is an entry of the log (operator Server, action
// ActionCheckpoint) whose target carries the server's signature, with its
// countersigning key, over the seq and hash of an earlier entry. Deleting
// or changing any entry at or before that one changes the hash the
// signature names, and a new signature needs the server's private key,
// which is not in the database. The server writes one every
// CheckpointEvery entries and before every export of the log, so an
// export ends anchored; VerifyAnchored checks them.
const (
	ActionCheckpoint = "checkpoint"
	// Server is the operator name of the entries the server writes itself.
	Server = "(server)"
	// CheckpointFormat names what a checkpoint signs.
	CheckpointFormat = "kaiconn-audit-checkpoint/1"
	// CheckpointEvery is how many entries the server lets pass between
	// checkpoints.
	CheckpointEvery = 64
	// MaxUnanchored is how many entries VerifyAnchored accepts after the
	// newest entry a checkpoint anchors: a few checkpoints' worth, since
	// one may be lost to a crash between an entry and its checkpoint.
	MaxUnanchored = 4 * CheckpointEvery
)

// Signer signs a checkpoint: *receipt.Keyring, the server's countersigning
// keys, is one.
type Signer interface {
	Countersign(payload []byte) (jws, kid string, err error)
}

// checkpointStatement is what a checkpoint signs, in RFC 8785 form.
func checkpointStatement(seq int64, hash string) []byte {
	raw, err := json.Marshal(struct {
		Format string `json:"format"`
		Seq    int64  `json:"seq"`
		Hash   string `json:"hash"`
	}{CheckpointFormat, seq, hash})
	if err != nil {
		panic(err) // a string and a number always marshal
	}
	canon, err := jcs.Transform(raw)
	if err != nil {
		panic(err)
	}
	return canon
}

// NewCheckpoint returns the entry, to be appended at at, that anchors
// anchor, an entry already in the log: its target is "<seq> <hash> <JWS>",
// the JWS a detached EdDSA signature over the checkpoint statement
// {"format","hash","seq"}.
func NewCheckpoint(anchor Entry, at time.Time, signer Signer) (Entry, error) {
	jws, _, err := signer.Countersign(checkpointStatement(anchor.Seq, anchor.Hash))
	if err != nil {
		return Entry{}, err
	}
	return Entry{At: at, Operator: Server, Action: ActionCheckpoint,
		Target: fmt.Sprintf("%d %s %s", anchor.Seq, anchor.Hash, jws), Outcome: OutcomeOK}, nil
}

// Anchored is what VerifyAnchored found.
type Anchored struct {
	Entries     int
	Checkpoints int
	// Through is the newest entry a checkpoint anchors; every entry up to
	// it is as the server wrote it.
	Through int64
	// KeyIDs are the keys that signed the checkpoints.
	KeyIDs []string
}

// VerifyAnchored checks a whole log as VerifyAudit does, then every
// checkpoint in it against jwks (the server's published keys): its
// signature, and that the entry it names has that seq and that hash. A log
// whose entries were deleted or changed and then re-hashed fails at the
// first checkpoint after the change; one whose checkpoints were deleted
// too fails because more than MaxUnanchored entries follow the last
// anchor.
func VerifyAnchored(entries []Entry, jwks []byte) (Anchored, error) {
	res := Anchored{Entries: len(entries)}
	if err := VerifyAudit(entries); err != nil {
		return res, err
	}
	for i, e := range entries {
		if e.Action != ActionCheckpoint || e.Operator != Server {
			continue
		}
		var seq int64
		var hash, jws string
		if n, err := fmt.Sscanf(e.Target, "%d %s %s", &seq, &hash, &jws); err != nil || n != 3 || seq < 1 {
			return res, errs.New(errs.Unprocessable, "audit[%d]: checkpoint: target is not \"<seq> <hash> <signature>\"", i)
		}
		if seq >= e.Seq {
			return res, errs.New(errs.Unprocessable, "audit[%d]: checkpoint names entry %d, which is not before it: entries before it were removed and the log renumbered", i, seq)
		}
		if anchor := entries[seq-1]; anchor.Hash != hash {
			return res, errs.New(errs.Unprocessable, "audit[%d]: checkpoint: entry %d has another hash than the one the server signed: the log was changed at or before entry %d and re-hashed", i, seq, seq)
		}
		kid, err := receipt.VerifyCountersignature(checkpointStatement(seq, hash), jws, jwks)
		if err != nil {
			return res, errs.New(errs.Unprocessable, "audit[%d]: checkpoint of entry %d: %s", i, seq, errs.Message(err))
		}
		res.Checkpoints++
		res.Through = max(res.Through, seq)
		if !slices.Contains(res.KeyIDs, kid) {
			res.KeyIDs = append(res.KeyIDs, kid)
		}
	}
	if unanchored := int64(len(entries)) - res.Through; unanchored > MaxUnanchored {
		return res, errs.New(errs.Unprocessable, "audit: %d entries after the last one a checkpoint anchors (entry %d), more than the %d the server lets pass: checkpoints were removed", unanchored, res.Through, MaxUnanchored)
	}
	return res, nil
}
