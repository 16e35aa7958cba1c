package memstore_test

import (
	"testing"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/memstore"
	"github.com/kaiconn/consent/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) receipt.Store { return memstore.New() })
}

func TestConsole(t *testing.T) {
	storetest.RunConsole(t, func(t *testing.T) storetest.ConsoleStore { return memstore.New() })
}
