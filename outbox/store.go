package outbox

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Device is the state of this device's subject: its pseudonymous id (its
// own, or the one the server's credential gave the browser), the hash of
// the newest receipt in its chain and how many receipts it has made.
// The device key lives beside it, in the same browser database, so the two
// are created and lost together.
type Device struct {
	Subject string `json:"subject"`
	// Head is the hash of the newest receipt made on this device that has
	// not been rejected, acknowledged or not: the next receipt's prevHash.
	Head string `json:"head"`
	// Seq numbers the receipts in the order they were made.
	Seq int64 `json:"seq"`
}

// State is where a receipt is in the outbox.
type State string

const (
	// StatePending receipts are stored and wait to be sent, oldest first.
	StatePending State = "pending"
	// StateAcknowledged receipts were stored by the server, which returned
	// its countersignature.
	StateAcknowledged State = "acknowledged"
	// StateRejected receipts were refused by the server (a 4xx other than
	// 408 and 429). They are kept with the server's message, never resent,
	// and left out of the chain: the next receipt links to the one before.
	StateRejected State = "rejected"
)

// Entry is one receipt in the outbox, with the decision it records and what
// the server said of it.
type Entry struct {
	Seq      int64           `json:"seq"`
	ID       string          `json:"id"`
	Hash     string          `json:"hash"`
	Envelope json.RawMessage `json:"envelope"` // JCS of the device-signed envelope, the bytes sent
	// Subject is the receipt's subject and Key the device key that signed
	// it: a device that adopted the server's subject has receipts of more
	// than one, and a key per subject. Entries stored before either was
	// kept have them only in the envelope.
	Subject  string           `json:"subject,omitempty"`
	Key      *receipt.JWK     `json:"key,omitempty"`
	Decision consent.Decision `json:"decision"`
	// Meta is what the receipt was built from besides the decision.
	Meta  consentreceipt.Meta `json:"meta"`
	State State               `json:"state"`

	Attempts int `json:"attempts"`
	// Rebuilds counts how often the receipt was signed again on the
	// server's head of its subject (at most MaxRebuilds).
	Rebuilds    int       `json:"rebuilds,omitempty"`
	NextAttempt time.Time `json:"nextAttempt"` // when the next send is due, while pending
	LastError   string    `json:"lastError,omitempty"`

	// Set when acknowledged.
	Countersignature string    `json:"countersignature,omitempty"`
	KeyID            string    `json:"kid,omitempty"`
	ReceivedAt       time.Time `json:"receivedAt,omitzero"`

	// Set when rejected: the server's error code and message.
	RejectCode    string `json:"rejectCode,omitempty"`
	RejectMessage string `json:"rejectMessage,omitempty"`
}

// Store keeps the device state and the outbox durably: IndexedDB in the
// browser, memory in tests. Every Outbox (every tab) on one store shares its
// lock.
type Store interface {
	// Load returns the device state (zero on a new store) and every entry,
	// in the order they were made.
	Load(ctx context.Context) (Device, []Entry, error)
	// Save writes entries (inserting or replacing by id) and, when next is
	// not nil, the device state, all in one transaction. When expect is not
	// nil and the stored device state differs from it, Save writes nothing
	// and fails with errs.Conflict: another tab changed the chain meanwhile.
	Save(ctx context.Context, expect, next *Device, entries ...Entry) error
	// Lock runs fn while holding the store's exclusive lock, so that two
	// tabs never extend the chain or send the same receipt at once.
	Lock(ctx context.Context, fn func(context.Context) error) error
}

// MemStore is a Store in memory: for tests, and for a browser that has no
// IndexedDB (then receipts live as long as the page).
type MemStore struct {
	lock    chan struct{}
	mu      sync.Mutex
	device  Device
	entries []Entry
	saves   int
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore { return &MemStore{lock: make(chan struct{}, 1)} }

func (s *MemStore) Load(_ context.Context) (Device, []Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, len(s.entries))
	for i, e := range s.entries {
		out[i] = cloneEntry(e)
	}
	return s.device, out, nil
}

func (s *MemStore) Save(_ context.Context, expect, next *Device, entries ...Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if expect != nil && *expect != s.device {
		return errs.New(errs.Conflict, "device: changed by another tab")
	}
	for _, e := range entries {
		e = cloneEntry(e)
		if i := slices.IndexFunc(s.entries, func(x Entry) bool { return x.ID == e.ID }); i >= 0 {
			s.entries[i] = e
			continue
		}
		s.entries = append(s.entries, e)
	}
	slices.SortStableFunc(s.entries, func(a, b Entry) int { return int(a.Seq - b.Seq) })
	if next != nil {
		s.device = *next
	}
	s.saves++
	return nil
}

// Lock waits for the lock or for ctx to end.
func (s *MemStore) Lock(ctx context.Context, fn func(context.Context) error) error {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.lock }()
	return fn(ctx)
}

// cloneEntry copies the byte slices, so that a caller changing an entry it
// loaded does not change the store.
func cloneEntry(e Entry) Entry {
	e.Envelope = slices.Clone(e.Envelope)
	return e
}
