//go:build wasm

package main

import (
	"github.com/kaiconn/consent/components"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

func main() {
	components.Register()
	app.RunWhenOnBrowser()
}
