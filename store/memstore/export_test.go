package memstore

import (
	"testing"
	"time"
)

// NonceCount lets the contract suite see expired nonces pruned.
func (s *Store) NonceCount(*testing.T) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.nonces)
}

// SetClock makes the store read now instead of the system's clock.
func (s *Store) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}
