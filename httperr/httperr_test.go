package httperr_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/httperr"
)

func TestStatus(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want int
	}{
		{"Invalid", errs.New(errs.Invalid, "x"), http.StatusBadRequest},
		{"Unprocessable", errs.New(errs.Unprocessable, "x"), http.StatusUnprocessableEntity},
		{"NotFound", errs.New(errs.NotFound, "x"), http.StatusNotFound},
		{"Conflict", errs.New(errs.Conflict, "x"), http.StatusConflict},
		{"TooLarge", errs.New(errs.TooLarge, "x"), http.StatusRequestEntityTooLarge},
		{"RateLimited", errs.New(errs.RateLimited, "x"), http.StatusTooManyRequests},
		{"Unauthorized", errs.New(errs.Unauthorized, "x"), http.StatusUnauthorized},
		{"Forbidden", errs.New(errs.Forbidden, "x"), http.StatusForbidden},
		{"Erased", errs.New(errs.Erased, "x"), http.StatusGone},
		{"UnsupportedMedia", errs.New(errs.UnsupportedMedia, "x"), http.StatusUnsupportedMediaType},
		{"MethodNotAllowed", errs.New(errs.MethodNotAllowed, "x"), http.StatusMethodNotAllowed},
		{"Internal", errs.New(errs.Internal, "x"), http.StatusInternalServerError},
		{"WrappedKeepsItsCode", fmt.Errorf("put: %w", errs.New(errs.Conflict, "chain moved")), http.StatusConflict},
		{"PlainIsInternal", errors.New("disk on fire"), http.StatusInternalServerError},
		{"UnknownCodeIsInternal", errs.New("no_such_code", "x"), http.StatusInternalServerError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, httperr.Status(tt.err))
		})
	}
}

func TestWrite(t *testing.T) {
	for _, tt := range []struct {
		name               string
		err                error
		status             int
		code, message, raw string
	}{
		{"Refusal", errs.New(errs.Unprocessable, "receipt.purposes[0]: <not> the catalogue's"), http.StatusUnprocessableEntity,
			errs.Unprocessable, "receipt.purposes[0]: <not> the catalogue's", `"message":"receipt.purposes[0]: <not> the catalogue's"`},
		{"InternalSaysNoMore", errors.New("open /var/lib/kaiconn: permission denied"), http.StatusInternalServerError,
			errs.Internal, "internal error", `"message":"internal error"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			assert.Equal(t, tt.status, httperr.Write(rec, tt.err))
			assert.Equal(t, tt.status, rec.Code)
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
			assert.Contains(t, rec.Body.String(), tt.raw, "written as it is, not HTML-escaped")
			var body httperr.Body
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body))
			assert.Equal(t, httperr.Detail{Code: tt.code, Message: tt.message}, body.Error)
		})
	}
}
