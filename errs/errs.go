package errs

import (
	"errors"
	"fmt"
)

// Codes name the kind of failure, not where it happened.
const (
	Invalid       = "invalid"       // malformed input: unreadable, missing or mistyped fields
	Unprocessable = "unprocessable" // well-formed but refused: unknown purpose, bad signature, broken chain
	NotFound      = "not_found"
	Conflict      = "conflict"
	TooLarge      = "too_large"
	RateLimited   = "rate_limited"
	Unauthorized  = "unauthorized"
	Forbidden     = "forbidden" // the caller is known but may not: a device key not enrolled for the subject
	Internal      = "internal"

	// Erased: what was asked for existed, and was erased on request or
	// after the retention period.
	Erased = "erased"
	// UnsupportedMedia: a body of another type than the endpoint reads
	// (a form or text posted where JSON is expected).
	UnsupportedMedia = "unsupported_media_type"
	// MethodNotAllowed: the endpoint exists, but not with this method.
	MethodNotAllowed = "method_not_allowed"
)

// Error is a failure with a code and a human message.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// New returns an *Error with a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Code returns the code of err, Internal for errors that carry none, and ""
// for nil.
func Code(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return Internal
}

// Message returns the human message of err; internal errors get a generic
// one so that no detail of the machinery leaks to the client.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
