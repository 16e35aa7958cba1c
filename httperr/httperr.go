package httperr

import (
	"encoding/json"
	"net/http"

	"github.com/kaiconn/consent/errs"
)

// statusOf is the one table from error codes to HTTP status codes.
var statusOf = map[string]int{
	errs.Invalid:          http.StatusBadRequest,
	errs.Unprocessable:    http.StatusUnprocessableEntity,
	errs.NotFound:         http.StatusNotFound,
	errs.Conflict:         http.StatusConflict,
	errs.TooLarge:         http.StatusRequestEntityTooLarge,
	errs.RateLimited:      http.StatusTooManyRequests,
	errs.Unauthorized:     http.StatusUnauthorized,
	errs.Forbidden:        http.StatusForbidden,
	errs.Erased:           http.StatusGone,
	errs.UnsupportedMedia: http.StatusUnsupportedMediaType,
	errs.MethodNotAllowed: http.StatusMethodNotAllowed,
	errs.Internal:         http.StatusInternalServerError,
}

// Status is the HTTP status of err's code; 500 for a code the table lacks,
// and for an error that carries none.
func Status(err error) int {
	if s, ok := statusOf[errs.Code(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Retryable tells whether a client may send the same request again later
// and expect another answer: the subject's chain was busy, or the client
// was too fast.
func Retryable(status int) bool {
	return status == http.StatusConflict || status == http.StatusTooManyRequests
}

// Body is the JSON of an error: {"error":{"code","message"}}.
type Body struct {
	Error Detail `json:"error"`
}

// Detail is the inside of Body.
type Detail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// BodyOf is the Body of err: its code and its message fit to show a person
// (an internal error's says no more than that).
func BodyOf(err error) Body {
	return Body{Error: Detail{Code: errs.Code(err), Message: errs.Message(err)}}
}

// Write answers err as JSON with the status of its code, and returns that
// status. Logging is the caller's, which knows what the request was.
func Write(w http.ResponseWriter, err error) int {
	status := Status(err)
	WriteJSON(w, status, BodyOf(err))
	return status
}

// WriteJSON answers v as JSON with status. HTML characters are not escaped:
// the answer is typed JSON and never sniffed (nosniff), and receipts carry
// bytes that must come back as they were signed.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
