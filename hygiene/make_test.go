package hygiene

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The command line that builds the wasm, as make prints it.
const wasmBuild = "-o web/app.wasm ./app"

// The wasm takes a minute to build and to compress: only a change to what
// its own GOOS=js build reads may rebuild it, never a server-only file.
func TestWasmRebuildsOnlyForItsOwnSources(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the module and runs make and go list two dozen times")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	dir, old := repoCopy(t)
	run := func(t *testing.T) string {
		t.Helper()
		out, err := makeCommand(dir, "-n", "wasm").CombinedOutput()
		require.NoError(t, err, "make -n wasm:\n%s", out)
		return string(out)
	}
	require.NotContains(t, run(t), wasmBuild, "nothing changed since the (fake) build")

	// Each change comes later than the previous one and than any fake
	// build made since.
	future := time.Now()
	for _, tc := range []struct {
		name    string
		file    string // changed, or created when new
		new     bool
		rebuild bool
	}{
		{"ServerStore", "store/sqlite/sqlite.go", false, false},
		{"ServerMainBesideWasmMain", "app/main.go", false, false},
		{"ServerStatic", "assets/assets.go", false, false},
		{"ServerView", "views/settings.templ", false, false},
		{"Test", "components/components_test.go", false, false},
		{"NewServerFile", "store/sqlite/zz_new.go", true, false},
		{"WasmComponent", "components/components.go", false, true},
		// The server resolves the strings the wasm shows (issue 11).
		{"ServerMessages", "locales/messages/gate.en.toml", false, false},
		{"WasmMain", "app/main_wasm.go", false, true},
		{"GoSum", "go.sum", false, true},
		{"NewWasmFile", "components/zz_new.go", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			future = future.Add(10 * time.Minute)
			path := filepath.Join(dir, tc.file)
			if tc.new {
				pkg := filepath.Base(filepath.Dir(path))
				require.NoError(t, os.WriteFile(path, []byte("package "+pkg+"\n"), 0o644))
				// A new file also changes its directory, which is how
				// make learns of it.
				require.NoError(t, os.Chtimes(filepath.Dir(path), future, future))
			}
			require.NoError(t, os.Chtimes(path, future, future))
			out := run(t)
			if tc.rebuild {
				assert.Contains(t, out, wasmBuild, "changing %s must rebuild the wasm", tc.file)
			} else {
				assert.NotContains(t, out, wasmBuild, "changing %s must not rebuild the wasm", tc.file)
			}
			if tc.new {
				require.NoError(t, os.Remove(path))
				// Removing a file from the wasm's build must rebuild it
				// too, though no remaining file is newer.
				require.NoError(t, os.Chtimes(filepath.Dir(path), future, future))
				if tc.rebuild {
					assert.Contains(t, run(t), wasmBuild, "removing %s must rebuild the wasm", tc.file)
				}
				// The fake build is now older than the list of sources.
				future = future.Add(time.Minute)
				fakeBuild(t, dir, future)
			} else {
				require.NoError(t, os.Chtimes(path, old, old))
			}
			assert.NotContains(t, run(t), wasmBuild, "back to the state of the (fake) build")
		})
	}
}

// make run ends quietly on Ctrl-C: the terminal sends SIGINT to make and
// to the program, the program closes and exits 0, and make reports no
// error.
func TestMakeRunStopsQuietlyOnCtrlC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server binary in a copy of the module")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	dir, _ := repoCopy(t)
	// A terminal's Ctrl-C reaches make with SIGINT's default action; a
	// test run in the background may have inherited SIGINT ignored, which
	// a handler here resets for the children.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT)
	defer signal.Stop(sigs)

	cmd := makeCommand(dir, "run", "ADDR=127.0.0.1:0")
	cmd.Env = append(cmd.Env, "KAICONN_DATA="+t.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a process group, as a terminal's job
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

	var out bytes.Buffer
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		out.WriteString(lines.Text() + "\n")
		if strings.Contains(lines.Text(), "msg=serving") {
			break
		}
	}
	require.Contains(t, out.String(), "msg=serving", "make run never served")
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGINT))
	rest, _ := io.ReadAll(pr)
	out.Write(rest)
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("make run still running 30 s after SIGINT:\n%s", out.String())
	}
	// make exits 0 when the program did, or, having seen the SIGINT
	// itself, dies of it as a terminal program should: either way,
	// silently.
	t.Logf("make run after SIGINT: %v", cmd.ProcessState)
	if ee, ok := err.(*exec.ExitError); ok {
		if ws := ee.Sys().(syscall.WaitStatus); ws.Signaled() && ws.Signal() == syscall.SIGINT {
			err = nil
		}
	}
	assert.NoError(t, err, "make run after SIGINT:\n%s", out.String())
	for _, bad := range []string{"***", "Error", "error", "exit status"} {
		assert.NotContains(t, out.String(), bad)
	}
}

// repoCopy copies the module's files (tracked, and new ones git does not
// ignore) into a temporary directory, dated an hour ago, with a fake wasm
// build dated half an hour ago, as if the last build came after the last
// change. It returns the directory and the sources' date.
func repoCopy(t *testing.T) (string, time.Time) {
	t.Helper()
	root := moduleRoot(t)
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	list, err := cmd.Output()
	require.NoError(t, err)
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, rel := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		src := filepath.Join(root, rel)
		st, err := os.Stat(src)
		if err != nil {
			continue // deleted in the work tree but not yet in the index
		}
		data, err := os.ReadFile(src)
		require.NoError(t, err)
		dst := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		require.NoError(t, os.WriteFile(dst, data, st.Mode().Perm()))
	}
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(path, old, old)
	}))
	// Let make list the wasm's sources once, then build after them.
	out, err := makeCommand(dir, "-n", "wasm").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, f := range []string{".wasm.deps", ".wasm.list"} {
		require.NoError(t, os.Chtimes(filepath.Join(dir, f), old, old))
	}
	fakeBuild(t, dir, old.Add(30*time.Minute))
	return dir, old
}

// fakeBuild writes stand-ins for make wasm's outputs, dated at.
func fakeBuild(t *testing.T, dir string, at time.Time) {
	t.Helper()
	for name, body := range map[string]string{
		"web/app.wasm": "\x00asm", "web/app.wasm.gz": "gz", "web/app.wasm.br": "br",
		"web/wasm_exec.js": "// wasm_exec.js", "web/.brotli-quality": "6\n",
	} {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); err != nil {
			require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
		}
		require.NoError(t, os.Chtimes(path, at, at))
	}
}

// makeCommand runs make in dir, free of any make that runs this test.
func makeCommand(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "BROTLI_QUALITY", "ADDR", "KAICONN_ADDR":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	return cmd
}
