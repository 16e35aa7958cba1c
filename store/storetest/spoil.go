package storetest

import (
	"encoding/binary"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// SpoilPages overwrites n pages in the middle of a closed SQLite file with
// noise, as a failing disk or a bad restore would, leaving the header and
// the schema (the first pages) intact so that the file still opens.
func SpoilPages(t *testing.T, path string, n int) {
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
