package e2e

import (
	"net/http"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The gate's queue (bridge.js) reads the server's answers by the one retry
// policy (web/static/parts/retry.js): a 409 with Retry-After, the server's
// answer for a subject whose chain is busy, stored nothing and is retried
// until the receipt is stored; a refusal without it would only be repeated,
// so it leaves the queue. Before, the busy answer was dropped like a
// refusal and the decision never reached the server.
func TestGateQueueRetriesABusyAnswer(t *testing.T) {
	srv := startServer(t)
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
		body       string
		posts      int // posts that reach the page's fetch, the first answered by the test
		stored     bool
	}{
		{"BusyIsRetried", http.StatusConflict, "1", `{"error":{"code":"conflict","message":"subject: too many decisions at once; please try again"}}`, 2, true},
		{"RefusalLeavesTheQueue", http.StatusBadRequest, "", `{"error":{"code":"invalid","message":"action: unknown"}}`, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := hostTab(t, "android")
			var mu sync.Mutex
			posts := 0
			require.NoError(t, chromedp.Listen(ctx, func(ev any) {
				e, ok := ev.(*fetch.EventRequestPaused)
				if !ok {
					return
				}
				mu.Lock()
				first := false
				if e.Request.Method == http.MethodPost {
					posts++
					first = posts == 1
				}
				mu.Unlock()
				// Commands cannot run inside the listener.
				go func() {
					if !first {
						_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
						return
					}
					headers := []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/json"}}
					if tc.retryAfter != "" {
						headers = append(headers, &fetch.HeaderEntry{Name: "Retry-After", Value: tc.retryAfter})
					}
					_, _ = chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
						RequestID: e.RequestID, ResponseCode: int64(tc.status), ResponseHeaders: headers,
						Body: []byte(tc.body),
					})
				}()
			}))
			do(t, ctx, call(fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/consent", RequestStage: fetch.RequestStageRequest}}}))
			do(t, ctx, chromedp.Navigate(srv.URL()+"/consent?lang=en"), chromedp.WaitVisible(chromedp.ID("kc-disagree")),
				chromedp.Click(chromedp.ID("kc-disagree")))
			decided(t, ctx, "declined")
			got := messages(t, ctx)
			require.Len(t, got, 1, "the host has the decision at the tap either way")
			// An empty queue holds nothing left to send: no post comes
			// after this.
			waitRecorded(t, ctx)
			mu.Lock()
			assert.Equal(t, tc.posts, posts)
			mu.Unlock()
			want := http.StatusNotFound
			if tc.stored {
				want = http.StatusOK
			}
			assert.Equal(t, want, receiptKnown(t, srv.URL(), got[0].ReceiptID))
		})
	}
}
