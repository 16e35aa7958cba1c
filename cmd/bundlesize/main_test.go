package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReport(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"app.0123456789ab.wasm": strings.Repeat("\x00asm", 2500), // 10,000 bytes that deflate well
		"consent/en.html":       strings.Repeat("<p>gate</p>", 100),
		"static/gate.css":       "a{}",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	manifest := `{"policyVersion":"2022-10","files":{"app.0123456789ab.wasm":"x","consent/en.html":"x","static/gate.css":"x"}}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(manifest), 0o644))

	t.Run("OK", func(t *testing.T) {
		var out bytes.Buffer
		require.NoError(t, run([]string{"-dir", dir}, &out, io.Discard))
		report := out.String()
		assert.Contains(t, report, "policy 2022-10")
		assert.Contains(t, report, "| the wasm | 1 | 10.0 |")
		assert.Contains(t, report, "| pages (`.html`) | 1 | 1.1 |")
		total := 10000 + 1100 + 3 + len(manifest)
		assert.Contains(t, report, "| **the bundle** | 4 | 11.2 |", "raw is the sum of the files: %d bytes", total)
		assert.NotContains(t, report, "| **the bundle** | 4 | 11.2 | 11.", "the APK column is the deflated size, far below the raw one")
	})
	t.Run("ErrNoManifest", func(t *testing.T) {
		err := run([]string{"-dir", t.TempDir()}, io.Discard, io.Discard)
		require.ErrorContains(t, err, "manifest.json")
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		require.NoError(t, os.Remove(filepath.Join(dir, "static/gate.css")))
		err := run([]string{"-dir", dir}, io.Discard, io.Discard)
		require.ErrorContains(t, err, "gate.css")
	})
}
