package memstore_test

import (
	"testing"

	"github.com/kaiconn/consent/store/memstore"
	"github.com/kaiconn/consent/store/storetest"
)

func TestRetention(t *testing.T) {
	storetest.RunRetention(t, func(t *testing.T) storetest.RetentionStore { return memstore.New() })
}
