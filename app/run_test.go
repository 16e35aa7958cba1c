//go:build !wasm

package main

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test binary doubles as the program: with KAICONN_TEST_MAIN set it
// runs main, so that the tests below see the real exit status and output
// without building a second binary.
func TestMain(m *testing.M) {
	if os.Getenv("KAICONN_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestWarnMissingWasm(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   []string
		missing string // "" when no warning is expected
	}{
		{"NothingBuilt", nil, "app.wasm,wasm_exec.js"},
		{"NoWasm", []string{"wasm_exec.js"}, "app.wasm"},
		{"Built", []string{"app.wasm", "wasm_exec.js"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range tc.files {
				require.NoError(t, os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644))
			}
			var buf bytes.Buffer
			warnMissingWasm(slog.New(slog.NewTextHandler(&buf, nil)), dir)
			if tc.missing == "" {
				assert.Empty(t, buf.String())
				return
			}
			out := buf.String()
			assert.Contains(t, out, "level=WARN")
			assert.Contains(t, out, "pages work without it")
			assert.Contains(t, out, "make wasm")
			assert.Contains(t, out, "missing="+tc.missing)
		})
	}
}

// Ctrl-C (SIGINT) or a service manager's SIGTERM is the normal way to stop
// the program: it closes cleanly and exits 0 with nothing alarming on
// stderr, so that make run ends without "make: *** Error 1".
func TestStopsQuietlyOnSignal(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
	}{
		{"SIGINT", syscall.SIGINT},
		{"SIGTERM", syscall.SIGTERM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()       // each starts a program of its own, which takes seconds
			web := t.TempDir() // empty: the wasm is not built
			cmd := exec.Command(os.Args[0], "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-web", web)
			cmd.Env = append(os.Environ(), "KAICONN_TEST_MAIN=1")
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { cmd.Process.Kill() })

			// Wait for the program to serve, then stop it as a terminal would.
			var out strings.Builder
			lines := bufio.NewScanner(stderr)
			serving := false
			for !serving && lines.Scan() {
				out.WriteString(lines.Text() + "\n")
				serving = strings.Contains(lines.Text(), "msg=serving")
			}
			require.True(t, serving, "the program never served:\n%s", out.String())
			require.NoError(t, cmd.Process.Signal(tc.sig))
			rest, _ := io.ReadAll(stderr)
			out.Write(rest)

			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				require.NoError(t, err, "exit status after %s:\n%s", tc.name, out.String())
			case <-time.After(30 * time.Second):
				t.Fatalf("still running 30 s after %s", tc.name)
			}
			assert.Contains(t, out.String(), "make wasm", "the missing wasm is reported at start")
			for _, bad := range []string{"level=ERROR", "kaiconn-consent:", "panic"} {
				assert.NotContains(t, out.String(), bad)
			}
		})
	}
}
