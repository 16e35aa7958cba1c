package outbox

import "context"

// Reply is the server's answer to a posted receipt.
type Reply struct {
	Status     int
	Body       []byte
	RetryAfter string // the Retry-After header, "" when absent
}

// Sender posts a receipt envelope to the receipt API. An error means no
// answer arrived (offline, DNS, connection reset) and the receipt is retried.
type Sender interface {
	Send(ctx context.Context, envelope []byte) (Reply, error)
}

// ReceiptsPath is the receipt API's endpoint.
const ReceiptsPath = "/api/v1/receipts"
