package server

import (
	"context"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/sqlite"
	"github.com/kaiconn/consent/store/storetest"
)

// spoilPages overwrites n pages in the middle of a closed SQLite file with
// noise, as a failing disk or a bad restore would, leaving the header and
// the schema (the first pages) intact so that the file still opens.
func spoilPages(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	header := make([]byte, 100)
	_, err = f.ReadAt(header, 0)
	require.NoError(t, err)
	pageSize := int64(binary.BigEndian.Uint16(header[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	fi, err := f.Stat()
	require.NoError(t, err)
	pages := fi.Size() / pageSize
	require.Greater(t, pages, int64(4*n), "the file is too small to spoil its middle")
	noise := make([]byte, pageSize)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range int64(n) {
		for j := range noise {
			noise[j] = byte(rng.Uint32())
		}
		_, err := f.WriteAt(noise, (pages/2+i)*pageSize)
		require.NoError(t, err)
	}
	require.NoError(t, f.Sync())
}

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
		s, err := Open(Config{DataDir: dir, WebDir: t.TempDir()}, slog.New(slog.DiscardHandler))
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
		spoilPages(t, path, 8)
		status, s := health(t)
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.NoError(t, s.store.Ping(ctx), "Ping alone does not notice")
		assert.Equal(t, http.StatusServiceUnavailable, do(t, s, req{method: http.MethodHead, target: "/healthz"}).StatusCode)
	})
}
