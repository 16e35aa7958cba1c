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

// HTTPSender calls the receipt API at BaseURL with net/http.
type HTTPSender struct {
	BaseURL string       // e.g. "https://consent.kaiconn.com"; "" for the page's own origin in a browser
	Client  *http.Client // http.DefaultClient when nil
}

func (s HTTPSender) Do(ctx context.Context, r Request) (Reply, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, strings.TrimRight(s.BaseURL, "/")+r.Path, body)
	if err != nil {
		return Reply{}, err
	}
	if r.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range r.Header {
		req.Header.Set(k, v)
	}
	c := s.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return Reply{}, err
	}
	return Reply{Status: resp.StatusCode, Body: b, RetryAfter: resp.Header.Get("Retry-After")}, nil
}
