package server

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kaiconn/consent/receipt"
)

// Through the whole server, as a page of another site would try it: a
// receipt or key statement posted as a form or as text/plain (which a
// browser sends cross-site without a preflight) is refused before it is
// read, and a body over the limit is 413 whether or not it announced its
// length.
func TestAPIBodiesThroughTheServer(t *testing.T) {
	s := newTestServer(t)
	keys := "/api/v1/subjects/" + receipt.NewSubject() + "/keys"
	huge := `{"subject":"` + strings.Repeat("a", 70<<10) + `"}`
	for _, tt := range []struct {
		name        string
		path        string
		contentType string
		body        string
		unannounced bool
		status      int
	}{
		{"ErrReceiptAsTextPlain", "/api/v1/receipts", "text/plain", `{}`, false, http.StatusUnsupportedMediaType},
		{"ErrReceiptAsForm", "/api/v1/receipts", "application/x-www-form-urlencoded", `a=b`, false, http.StatusUnsupportedMediaType},
		{"ErrStatementAsTextPlain", keys, "text/plain;charset=UTF-8", `{}`, false, http.StatusUnsupportedMediaType},
		{"ErrReceiptTooLarge", "/api/v1/receipts", "application/json", huge, false, http.StatusRequestEntityTooLarge},
		{"ErrStatementTooLarge", keys, "application/json", huge, false, http.StatusRequestEntityTooLarge},
		{"ErrStatementTooLargeUnannounced", keys, "application/json", huge, true, http.StatusRequestEntityTooLarge},
		{"ErrStatementDuplicateMember", keys, "application/json", `{"subject":"a","subject":"b"}`, false, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tt.body)
			if tt.unannounced {
				body = struct{ *bytes.Reader }{bytes.NewReader([]byte(tt.body))}
			}
			r := httptest.NewRequest(http.MethodPost, tt.path, body)
			if tt.unannounced {
				r.ContentLength = -1
			}
			r.Header.Set("Content-Type", tt.contentType)
			w := httptest.NewRecorder()
			s.Handler().ServeHTTP(w, r)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			assert.Equal(t, "application/json; charset=utf-8", w.Header().Get("Content-Type"))
		})
	}
}
