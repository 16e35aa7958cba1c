package memstore

import "testing"

// NonceCount lets the contract suite see expired nonces pruned.
func (s *Store) NonceCount(*testing.T) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.nonces)
}
