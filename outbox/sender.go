package outbox

import "context"

// Reply is the server's answer to a request.
type Reply struct {
	Status     int
	Body       []byte
	RetryAfter string // the Retry-After header, "" when absent
}

// Request is one call to the receipt API.
type Request struct {
	Method string
	Path   string            // e.g. ReceiptsPath
	Header map[string]string // besides Content-Type, which is JSON when there is a body
	Body   []byte
}

// Sender calls the receipt API. An error means no answer arrived (offline,
// DNS, connection reset) and the call is retried later.
type Sender interface {
	Do(ctx context.Context, req Request) (Reply, error)
}

// Paths and headers of the receipt API the outbox calls.
const (
	ReceiptsPath = "/api/v1/receipts"
	NoncePath    = "/api/v1/nonce"
	// TicketHeader carries the ticket a receipt's id was minted with
	// (api.TicketHeader).
	TicketHeader = "Kaiconn-Ticket"
)

// headPath is where the API answers a subject's head.
func headPath(subject string) string { return "/api/v1/subjects/" + subject + "/head" }
