package errs_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kaiconn/consent/errs"
	"github.com/stretchr/testify/assert"
)

func TestCodeAndMessage(t *testing.T) {
	for _, tt := range []struct {
		name          string
		err           error
		code, message string
	}{
		{"Nil", nil, "", "internal error"},
		{"Coded", errs.New(errs.NotFound, "receipt %s not found", "r1"), errs.NotFound, "receipt r1 not found"},
		{"Wrapped", fmt.Errorf("put: %w", errs.New(errs.Conflict, "chain moved")), errs.Conflict, "chain moved"},
		{"Plain", errors.New("disk on fire"), errs.Internal, "internal error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.code, errs.Code(tt.err))
			assert.Equal(t, tt.message, errs.Message(tt.err))
		})
	}
}
