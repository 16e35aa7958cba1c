package views

import (
	"github.com/a-h/templ"

	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/views/gate"
)

// Gate is /consent (package gate, whose markup the wasm renders too).
func Gate(v components.GateView, l *lang.Localizer) templ.Component { return gate.Gate(v, l) }
