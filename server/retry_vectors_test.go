package server

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/recorder"
)

// The server's answers to a decision it could not record, read as the
// scripts' queues read them (testdata/scripts/retry.json, the vectors of
// web/static/parts/retry.js): what a retry may fix is retried (a busy
// chain, an internal error), what it would only repeat leaves the queue.
func TestRetryVectors(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "scripts", "retry.json"))
	require.NoError(t, err)
	var v struct {
		Verdicts []struct {
			Status     int    `json:"status"`
			RetryAfter string `json:"retryAfter"`
			Verdict    string `json:"verdict"`
		} `json:"verdicts"`
	}
	require.NoError(t, json.Unmarshal(raw, &v))
	verdict := func(t *testing.T, status int, retryAfter string) string {
		for _, c := range v.Verdicts {
			if c.Status == status && (c.RetryAfter != "") == (retryAfter != "") {
				return c.Verdict
			}
		}
		t.Fatalf("retry.json has no verdict for %d (Retry-After %q): the scripts' policy must cover every answer the server gives", status, retryAfter)
		return ""
	}
	s := newTestServer(t)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"BusyChain", recorder.ErrBusy, "retry"},
		{"Internal", errs.New(errs.Internal, "store: down"), "retry"},
		{"Invalid", errs.New(errs.Invalid, "action: unknown"), "refused"},
		{"Forbidden", errs.New(errs.Forbidden, "origin: not ours"), "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("POST", "/consent", nil)
			r.Header.Set("Accept", "application/json")
			s.writeError(w, r, tc.err)
			assert.Equal(t, tc.want, verdict(t, w.Code, w.Header().Get("Retry-After")), "status %d", w.Code)
		})
	}
}
