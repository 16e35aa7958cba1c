package outbox

import (
	"context"
	"slices"
	"sync"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Keys are the device's keys. The current one signs new receipts. The
// server enrolls a key for one subject only, so a device that adopts
// another subject (the server's credential decides) signs with a new key
// from then on, and keeps the old ones to sign again, or prove, for the
// receipts they signed.
type Keys interface {
	// Current returns the key that signs new receipts.
	Current(ctx context.Context) (receipt.Signer, error)
	// Rotate makes a new current key and returns it; the old one stays
	// reachable through Find.
	Rotate(ctx context.Context) (receipt.Signer, error)
	// Find returns the key whose public key is jwk, nil when the device no
	// longer has it.
	Find(ctx context.Context, jwk receipt.JWK) (receipt.Signer, error)
}

// oneKey is a device with one key, which it never changes.
type oneKey struct{ s receipt.Signer }

func (k oneKey) Current(context.Context) (receipt.Signer, error) { return k.s, nil }

func (k oneKey) Rotate(context.Context) (receipt.Signer, error) {
	return nil, errs.New(errs.Internal, "outbox: this device has one key and cannot sign for a second subject")
}

func (k oneKey) Find(_ context.Context, jwk receipt.JWK) (receipt.Signer, error) {
	if k.s.PublicJWK() == jwk {
		return k.s, nil
	}
	return nil, nil
}

// MemKeys are Keys in memory: Ed25519 keys, for tests and tools.
type MemKeys struct {
	mu   sync.Mutex
	keys []receipt.Signer // oldest first; the last is current
}

// NewMemKeys returns keys with first as the current one.
func NewMemKeys(first receipt.Signer) *MemKeys { return &MemKeys{keys: []receipt.Signer{first}} }

func (k *MemKeys) Current(context.Context) (receipt.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.keys[len(k.keys)-1], nil
}

func (k *MemKeys) Rotate(context.Context) (receipt.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := receipt.GenerateEd25519Signer()
	k.keys = append(k.keys, s)
	return s, nil
}

func (k *MemKeys) Find(_ context.Context, jwk receipt.JWK) (receipt.Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if i := slices.IndexFunc(k.keys, func(s receipt.Signer) bool { return s.PublicJWK() == jwk }); i >= 0 {
		return k.keys[i], nil
	}
	return nil, nil
}

// Len is how many keys the device has had.
func (k *MemKeys) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}
