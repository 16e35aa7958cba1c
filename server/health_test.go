package server

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/sqlite"
	"github.com/kaiconn/consent/store/storetest"
)

// A database whose pages are damaged answers reads of the damaged receipts
// with errors while Ping, which reads one row, still succeeds: /healthz
// must say so (503), or a load balancer keeps sending decisions to an
// instance that cannot show them again.
func TestHealthzNoticesDamagedDatabase(t *testing.T) {
	dir := withReceipt(t)
	path := filepath.Join(dir, "kaiconn.db")
	db, err := sqlite.Open(path)
	require.NoError(t, err)
	ctx := context.Background()
	var d *storetest.Device
	var prev *receipt.Record
	subject := ""
	for i := range 400 {
		if i%storetest.ChainLength == 0 {
			d, prev, subject = storetest.NewDevice(), nil, receipt.NewSubject()
		}
		r := storetest.RealisticRecord(d, subject, prev)
		_, _, err := db.Put(ctx, r, receipt.PutOptions{})
		require.NoError(t, err)
		prev = &r
	}
	require.NoError(t, db.Close())

	health := func(t *testing.T) (int, *Server) {
		t.Helper()
		s, err := openData(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return do(t, s, req{method: http.MethodGet, target: "/healthz"}).StatusCode, s
	}
	t.Run("OKIntact", func(t *testing.T) {
		status, s := health(t)
		assert.Equal(t, http.StatusOK, status)
		require.NoError(t, s.Close())
	})
	t.Run("ErrDamaged", func(t *testing.T) {
		storetest.SpoilPages(t, path, 8)
		status, s := health(t)
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.NoError(t, s.store.Ping(ctx), "Ping alone does not notice")
		assert.Equal(t, http.StatusServiceUnavailable, do(t, s, req{method: http.MethodHead, target: "/healthz"}).StatusCode)
	})
}
