//go:build !wasm

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kaiconn/consent/datadir"
	"github.com/kaiconn/consent/server"
)

func main() {
	if err := Main(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kaiconn-consent:", err)
		os.Exit(1)
	}
}

// Main is the program: it reads the configuration, opens what it keeps
// (package datadir), wires the server over it, serves until interrupted,
// and closes everything it opened, in that order. The admin, purge and
// config-table commands are the same binary.
func Main(args []string) error {
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
	p, err := open(cfg, log)
	if err != nil {
		return err
	}
	// Catch the stop signals before announcing anything: one that came
	// after "serving" but before this would kill the program instead of
	// closing it. (During open, which may wait on PostgreSQL, a signal
	// still kills at once.)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := p.srv.Start(); err != nil {
		p.Close()
		return err
	}
	warnMissingWasm(log, cfg.WebDir)
	log.Info("serving", "url", p.srv.URL())
	<-ctx.Done()
	// An interrupt is how an operator stops the program: a clean close is
	// a success, so that make run ends quietly on Ctrl-C.
	return p.Close()
}

// program is the server wired over the data it was opened on.
type program struct {
	srv  *server.Server
	data *datadir.Data
}

// open opens the data cfg names and wires the server over it. Nothing
// listens until the server's Start.
func open(cfg server.Config, log *slog.Logger) (*program, error) {
	data, err := datadir.Open(datadir.Config{Dir: cfg.DataDir, DSN: cfg.DSN}, log)
	if err != nil {
		return nil, err
	}
	srv, err := server.New(cfg, server.Deps{Store: data.Store, Keys: data.Keys, CookieKey: data.CookieKey}, log)
	if err != nil {
		data.Close()
		return nil, err
	}
	return &program{srv: srv, data: data}, nil
}

// Close stops the server, then closes the store it served from.
func (p *program) Close() error {
	return errors.Join(p.srv.Close(), p.data.Close())
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
