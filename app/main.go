//go:build !wasm

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kaiconn/consent/server"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kaiconn-consent:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "admin" {
		return runAdmin(args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	}
	if len(args) == 1 && args[0] == "config-table" {
		// The README's configuration table, from the one table of
		// settings (make generate writes it there).
		return writeConfigTable(os.Stdout)
	}
	if len(args) > 0 && args[0] == "bundle" {
		return runBundle(args[1:], os.Stdout)
	}
	if len(args) > 0 && args[0] == "purge" {
		return runPurge(args[1:], os.Getenv, os.Stdout)
	}
	cfg, err := parseConfig(args, os.Getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := server.Open(cfg, log)
	if err != nil {
		return err
	}
	// Catch the stop signals before announcing anything: one that came
	// after "serving" but before this would kill the program instead of
	// closing it. (During Open, which may wait on PostgreSQL, a signal
	// still kills at once.)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := srv.Start(); err != nil {
		srv.Close()
		return err
	}
	warnMissingWasm(log, cfg.WebDir)
	log.Info("serving", "url", srv.URL())
	<-ctx.Done()
	// An interrupt is how an operator stops the program: a clean close is
	// a success, so that make run ends quietly on Ctrl-C.
	return srv.Close()
}

// warnMissingWasm says so at start when the wasm is not built. Every page
// still works without it (server-rendered HTML is the product), but the
// interactive layer is missing and /app.wasm answers 404, which is easy to
// miss in a browser.
func warnMissingWasm(log *slog.Logger, webDir string) {
	var missing []string
	for _, name := range []string{"app.wasm", "wasm_exec.js"} {
		if _, err := os.Stat(filepath.Join(webDir, name)); err != nil {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return
	}
	log.Warn("the wasm is not built: pages work without it, but without the interactive layer; run `make wasm` to build it",
		"missing", strings.Join(missing, ","), "web", webDir)
}
