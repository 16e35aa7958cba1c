package receipt

import "context"

// HealthChecker is a Store that can tell, cheaply, whether it can still read
// and write what it keeps: Ping only says that it answers. Every durable
// store implements it; a server's health check asks it, so that a load
// balancer stops sending decisions to an instance that cannot keep them.
type HealthChecker interface {
	// CheckHealth returns nil when the store read a stored receipt and
	// wrote (durably) a row of its own, and found nothing damaged.
	CheckHealth(ctx context.Context) error
}
