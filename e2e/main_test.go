package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/kaiconn/consent/datadir"
	"github.com/kaiconn/consent/server"
	"github.com/stretchr/testify/require"
)

var (
	webDir     string // holds the freshly built app.wasm and wasm_exec.js
	browserCtx context.Context
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		// Chromium and the wasm build make this suite take over a minute:
		// make test-short (go test -short) leaves it out.
		fmt.Println("e2e: browser tests skipped under -short")
		return 0
	}
	dir, err := os.MkdirTemp("", "kaiconn-e2e-web-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	webDir = dir
	if err := buildWasm(dir); err != nil {
		fmt.Fprintln(os.Stderr, "building the wasm:", err)
		return 1
	}
	exe, err := chromiumPath()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	profile, err := os.MkdirTemp("", "kaiconn-e2e-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(profile)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		closeBrowser(ctx)
		fmt.Fprintln(os.Stderr, "starting chromium:", err)
		return 1
	}
	browserCtx = ctx
	code := m.Run()
	// Chromium keeps its singleton lock in a directory of its own under
	// /tmp, named by a symlink in the profile; a clean quit removes it.
	lock, _ := os.Readlink(filepath.Join(profile, "SingletonSocket"))
	closeBrowser(ctx)
	if lock = filepath.Dir(lock); lock != "." {
		if _, err := os.Stat(lock); err == nil {
			fmt.Fprintln(os.Stderr, "chromium left", lock, "behind")
			os.RemoveAll(lock)
			code = max(code, 1)
		}
	}
	return code
}

// closeBrowser asks chromium to quit instead of killing it. Killed, chromium
// leaves behind the directory of its singleton lock
// (/tmp/org.chromium.Chromium.XXXXXX, outside the profile) on every run.
func closeBrowser(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Cancel(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "closing chromium:", err)
	}
}

func chromiumPath() (string, error) {
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("chromium not found: run `make deps` (installs Debian's chromium) or set CHROMIUM")
}

func buildWasm(dir string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "app.wasm"), "./app")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	src := filepath.Join(runtime.GOROOT(), "lib", "wasm", "wasm_exec.js")
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "wasm_exec.js"), data, 0o644)
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// startServer runs the real program on a free port with a fresh data
// directory, closed when the test ends.
func startServer(t *testing.T, mutate ...func(*server.Config)) *server.Server {
	t.Helper()
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), WebDir: webDir}
	for _, f := range mutate {
		f(&cfg)
	}
	srv, closeAll, err := openServer(cfg)
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	t.Cleanup(func() { closeAll() })
	return srv
}

// openServer opens the data cfg names and wires the server over it, as the
// program's main does (app); closeAll stops the server, then closes the
// store.
func openServer(cfg server.Config) (srv *server.Server, closeAll func() error, err error) {
	log := slog.New(slog.DiscardHandler)
	data, err := datadir.Open(datadir.Config{Dir: cfg.DataDir, DSN: cfg.DSN}, log)
	if err != nil {
		return nil, nil, err
	}
	srv, err = server.New(cfg, server.Deps{Store: data.Store, Keys: data.Keys, CookieKey: data.CookieKey}, log)
	if err != nil {
		data.Close()
		return nil, nil, err
	}
	return srv, func() error { return errors.Join(srv.Close(), data.Close()) }, nil
}

// newTab opens a fresh browser tab (sharing the browser, not its state with
// other tabs beyond the profile) with a deadline, closed when the test ends.
func newTab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	return ctx
}

// waitWasm waits until the wasm has taken over the page.
func waitWasm() chromedp.Action[chromedp.Void] {
	return chromedp.WaitReady(chromedp.CSS(`html[data-wasm="ready"]`))
}

// eval runs a JavaScript expression in the page and decodes its result.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, "evaluating %s", expr)
	return v
}

// do runs steps and fails the test on the first error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, steps...))
}
