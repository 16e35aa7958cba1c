//go:build !wasm

package outbox

import (
	"context"

	"github.com/kaiconn/consent/errs"
)

// Browser exists only in the wasm build; on the host it fails, so that a
// component calling it still compiles for server-side rendering and tests.
func Browser(context.Context) (*Outbox, error) {
	return nil, errs.New(errs.Internal, "outbox: the browser outbox exists only in the browser")
}

// Exists is false on the host: there is no browser outbox there.
func Exists(context.Context) bool { return false }

// Supported is false on the host: there is no browser outbox there.
func Supported() bool { return false }
