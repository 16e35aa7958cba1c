package server

import (
	"context"

	"github.com/kaiconn/consent/receipt"
)

// checkStore is the health of the receipt store: that it answers (Ping)
// and, for a store that can tell (every durable one), that it can still
// read a receipt and write a row and has found no damaged page. A store
// that answers but cannot keep a decision must not look healthy.
func (s *Server) checkStore(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return err
	}
	if h, ok := s.store.(receipt.HealthChecker); ok {
		return h.CheckHealth(ctx)
	}
	return nil
}
