//go:build !wasm

package outbox

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
)

// HTTPSender stays out of the wasm, which posts with fetch: linking the
// net/http client would bring TLS and X.509 into app.wasm.

// HTTPSender posts to POST {BaseURL}/api/v1/receipts with net/http, which
// the wasm build runs on the browser's fetch.
type HTTPSender struct {
	BaseURL string       // e.g. "https://consent.kaiconn.com"; "" for the page's own origin in a browser
	Client  *http.Client // http.DefaultClient when nil
}

func (s HTTPSender) Send(ctx context.Context, envelope []byte) (Reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.BaseURL, "/")+ReceiptsPath, bytes.NewReader(envelope))
	if err != nil {
		return Reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	c := s.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: resp.StatusCode, Body: body, RetryAfter: resp.Header.Get("Retry-After")}, nil
}
