package memstore

import (
	"context"

	"github.com/kaiconn/consent/receipt"
)

var _ receipt.HealthChecker = (*Store)(nil)

// CheckHealth implements receipt.HealthChecker. Memory cannot be spoilt or
// turn read-only under the store, so there is nothing to check beyond what
// Ping does; it is here so that the tests of the server run the same health
// path as a durable store.
func (s *Store) CheckHealth(ctx context.Context) error { return s.Ping(ctx) }
