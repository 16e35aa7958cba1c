package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
)

// Every body the API takes is declared JSON, bounded, and read strictly:
// a wrong Content-Type is 415, a body over the limit 413, and a key
// statement with a member the decoder would have ignored, taken the last
// of or matched without regard to case is 400 naming the member.
func TestPostedBodies(t *testing.T) {
	e := newEnv(t, nil)
	first := decodeAck(t, e.post(body(t, e.sign("", nil))))
	require.NotEmpty(t, first.Hash)
	keysPath := "/api/v1/subjects/" + e.subject + "/keys"
	statement := func() []byte {
		st, err := receipt.SignKeyStatement(e.subject, e.nonce(), receipt.GenerateEd25519Signer(), e.device)
		require.NoError(t, err)
		b, err := json.Marshal(st)
		require.NoError(t, err)
		return b
	}
	// chunked posts a body without Content-Length, so that only reading
	// it finds it too large.
	chunked := func(path string, b []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, struct{ *bytes.Reader }{bytes.NewReader(b)})
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		e.handler.ServeHTTP(rec, req)
		return rec
	}
	huge := []byte(`{"subject":"` + strings.Repeat("a", 70<<10) + `"}`)

	for _, tt := range []struct {
		name   string
		do     func() *httptest.ResponseRecorder
		status int
		code   string
		msg    string // in the message
	}{
		{"ErrReceiptNoContentType", func() *httptest.ResponseRecorder {
			return e.do(http.MethodPost, "/api/v1/receipts", body(t, e.sign(first.Hash, nil)))
		}, http.StatusUnsupportedMediaType, "unsupported_media_type", "application/json"},
		{"ErrReceiptTextPlain", func() *httptest.ResponseRecorder {
			return e.do(http.MethodPost, "/api/v1/receipts", body(t, e.sign(first.Hash, nil)), "Content-Type", "text/plain")
		}, http.StatusUnsupportedMediaType, "unsupported_media_type", "application/json"},
		{"ErrReceiptForm", func() *httptest.ResponseRecorder {
			return e.do(http.MethodPost, "/api/v1/receipts", body(t, e.sign(first.Hash, nil)), "Content-Type", "application/x-www-form-urlencoded")
		}, http.StatusUnsupportedMediaType, "unsupported_media_type", "application/json"},
		{"ErrReceiptLatin1", func() *httptest.ResponseRecorder {
			return e.do(http.MethodPost, "/api/v1/receipts", body(t, e.sign(first.Hash, nil)), "Content-Type", "application/json; charset=iso-8859-1")
		}, http.StatusUnsupportedMediaType, "unsupported_media_type", "application/json"},
		{"ErrKeyNoContentType", func() *httptest.ResponseRecorder {
			return e.do(http.MethodPost, keysPath, statement())
		}, http.StatusUnsupportedMediaType, "unsupported_media_type", "application/json"},
		{"ErrReceiptTooLargeUnannounced", func() *httptest.ResponseRecorder {
			return chunked("/api/v1/receipts", huge)
		}, http.StatusRequestEntityTooLarge, "too_large", "larger than"},
		{"ErrKeyTooLarge", func() *httptest.ResponseRecorder {
			return e.do(http.MethodPost, keysPath, huge, "Content-Type", "application/json")
		}, http.StatusRequestEntityTooLarge, "too_large", "larger than"},
		{"ErrKeyTooLargeUnannounced", func() *httptest.ResponseRecorder {
			return chunked(keysPath, huge)
		}, http.StatusRequestEntityTooLarge, "too_large", "larger than"},
		{"ErrKeyDuplicateMember", func() *httptest.ResponseRecorder {
			b := bytes.Replace(statement(), []byte(`{"subject":`), []byte(`{"subject":"`+receipt.NewSubject()+`","subject":`), 1)
			return e.do(http.MethodPost, keysPath, b, "Content-Type", "application/json")
		}, http.StatusBadRequest, "invalid", "subject: duplicate member name"},
		{"ErrKeyCaseFoldedMember", func() *httptest.ResponseRecorder {
			b := bytes.Replace(statement(), []byte(`"nonce":`), []byte(`"NONCE":`), 1)
			return e.do(http.MethodPost, keysPath, b, "Content-Type", "application/json")
		}, http.StatusBadRequest, "invalid", "nonce: missing"},
		{"ErrKeyUnknownMember", func() *httptest.ResponseRecorder {
			b := bytes.Replace(statement(), []byte(`{"subject":`), []byte(`{"admin":true,"subject":`), 1)
			return e.do(http.MethodPost, keysPath, b, "Content-Type", "application/json")
		}, http.StatusBadRequest, "invalid", "admin: unknown member"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.do()
			require.Equal(t, tt.status, rec.Code, rec.Body.String())
			got := decodeError(t, rec)
			assert.Equal(t, tt.code, got.Error.Code)
			assert.Contains(t, got.Error.Message, tt.msg)
		})
	}
	t.Run("OKCharsetUTF8", func(t *testing.T) {
		rec := e.do(http.MethodPost, "/api/v1/receipts", body(t, e.sign(first.Hash, nil)), "Content-Type", "application/json; charset=UTF-8")
		assert.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	})
	t.Run("OKKeyStatement", func(t *testing.T) {
		rec := e.do(http.MethodPost, keysPath, statement(), "Content-Type", "application/json")
		assert.Equal(t, http.StatusCreated, rec.Code, rec.Body.String())
	})
}
