package datadir

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadCookieKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := loadCookieKey(dir)
	require.NoError(t, err)
	assert.Len(t, k1, 32)
	k2, err := loadCookieKey(dir)
	require.NoError(t, err)
	assert.Equal(t, k1, k2, "the key survives a restart")
}

// Open and OpenStore open the same store: the admin and purge commands
// see what the server keeps.
func TestOpenAndOpenStoreShareTheStore(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(Config{Dir: dir}, nil)
	require.NoError(t, err)
	require.NotNil(t, d.Keys)
	require.NoError(t, d.Close())
	s, err := OpenStore(Config{Dir: dir})
	require.NoError(t, err)
	require.NoError(t, s.Close())
	again, err := Open(Config{Dir: dir}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { again.Close() })
	assert.Equal(t, d.CookieKey, again.CookieKey)
	assert.Equal(t, d.Keys.JWKS(), again.Keys.JWKS(), "the same keys, not new ones")
}
