package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sample is compressible but not trivially so, so that quality matters.
func sample() []byte {
	var b bytes.Buffer
	for i := range 20000 {
		b.WriteString(strings.Repeat("ab", i%7))
		b.WriteString("kaiconn consent receipt ")
		b.WriteByte(byte(i * 31))
	}
	return b.Bytes()
}

func TestRun(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	compressed := func(t *testing.T, args []string, vars map[string]string) (orig, br []byte) {
		t.Helper()
		path := filepath.Join(t.TempDir(), "app.wasm")
		orig = sample()
		require.NoError(t, os.WriteFile(path, orig, 0o644))
		require.NoError(t, run(append(args, path), env(vars), io.Discard))
		br, err := os.ReadFile(path + ".br")
		require.NoError(t, err)
		_, err = os.Stat(path + ".br.tmp")
		assert.ErrorIs(t, err, os.ErrNotExist, "the temporary file is renamed away")
		return orig, br
	}
	roundTrip := func(t *testing.T, br []byte) []byte {
		t.Helper()
		got, err := io.ReadAll(brotli.NewReader(bytes.NewReader(br)))
		require.NoError(t, err)
		return got
	}
	t.Run("RoundTrip", func(t *testing.T) {
		orig, br := compressed(t, nil, nil)
		assert.Equal(t, orig, roundTrip(t, br))
		assert.Less(t, len(br), len(orig))
	})
	t.Run("QualityChangesOutput", func(t *testing.T) {
		_, fast := compressed(t, []string{"-quality", "0"}, nil)
		_, best := compressed(t, []string{"-quality", "11"}, nil)
		assert.Less(t, len(best), len(fast), "quality 11 must compress better than 0")
		_, env11 := compressed(t, nil, map[string]string{"BROTLI_QUALITY": "11"})
		assert.Equal(t, best, env11, "BROTLI_QUALITY=11 is -quality 11")
		_, flagWins := compressed(t, []string{"-quality", "0"}, map[string]string{"BROTLI_QUALITY": "11"})
		assert.Equal(t, fast, flagWins, "the flag beats the environment")
		_, def := compressed(t, nil, nil)
		_, six := compressed(t, []string{"-quality", "6"}, nil)
		assert.Equal(t, six, def, "the default quality is 6")
	})
	t.Run("ErrBadQuality", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "app.wasm")
		require.NoError(t, os.WriteFile(path, sample(), 0o644))
		for _, tc := range []struct {
			name string
			args []string
			vars map[string]string
			want string
		}{
			{"FlagTooHigh", []string{"-quality", "12"}, nil, "-quality"},
			{"EnvNotANumber", nil, map[string]string{"BROTLI_QUALITY": "max"}, "BROTLI_QUALITY"},
			{"NoFile", []string{}, nil, "no file"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				args := tc.args
				if tc.name != "NoFile" {
					args = append(args, path)
				}
				err := run(args, env(tc.vars), io.Discard)
				assert.ErrorContains(t, err, tc.want)
			})
		}
		_, err := os.Stat(path + ".br")
		assert.ErrorIs(t, err, os.ErrNotExist, "nothing is written on a usage error")
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		err := run([]string{filepath.Join(t.TempDir(), "absent.wasm")}, env(nil), io.Discard)
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
}
