package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/kaiconn/consent/errs"
)

// maxStatementBytes limits a key statement: two keys and two signatures.
const maxStatementBytes = 16 << 10

// readBody reads the body of a POST to the API, the one way every endpoint
// does: it must be declared application/json (415 otherwise, so that a
// form or a text/plain post, which a browser sends cross-site without
// asking, never reaches a decoder) and hold at most limit bytes (413, not
// 400, beyond: the client learns that the size is the fault). When it
// returns false it has answered the request.
func (h *handler) readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if !isJSON(r.Header.Get("Content-Type")) {
		h.fail(w, r, errs.New(errs.UnsupportedMedia, "Content-Type: must be application/json"))
		return nil, false
	}
	tooLarge := errs.New(errs.TooLarge, "body: larger than %d bytes", limit)
	if r.ContentLength > limit {
		h.fail(w, r, tooLarge)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.fail(w, r, tooLarge)
			return nil, false
		}
		h.fail(w, r, errs.New(errs.Invalid, "body: could not be read"))
		return nil, false
	}
	return body, true
}

// isJSON tells whether a Content-Type names JSON in UTF-8: application/json,
// with no charset or charset=utf-8 (RFC 8259 allows no other).
func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}
