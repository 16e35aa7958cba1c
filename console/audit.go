package console

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gowebpki/jcs"

	"github.com/kaiconn/consent/errs"
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
)

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
