// Package server is the program as a value: it wires the policy library, the
// UI strings, the views and the stores into one HTTP handler, and can be
// started on any address and closed again, so end-to-end tests drive the real
// thing. Configuration comes in as a Config; flags and environment belong to
// the main package.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/lang"
)

// Config is everything an operator can set.
type Config struct {
	// Addr is the listen address, e.g. "localhost:8080" or ":0".
	Addr string
	// DataDir holds the SQLite file and the server's signing keys.
	DataDir string
	// DSN selects PostgreSQL instead of the embedded SQLite file.
	DSN string
	// WebDir holds the built app.wasm and wasm_exec.js.
	WebDir string
	// UserAgreementURL is linked from the first-launch gate.
	UserAgreementURL string
	// CatalogueFS and PolicyFS are the purpose catalogues (<version>.toml)
	// and policy texts (<version>/<lang>.md); nil uses the embedded ones.
	// The newest version in them is the one asked about.
	CatalogueFS fs.FS
	PolicyFS    fs.FS
}

// Server is the running program.
type Server struct {
	cfg     Config
	log     *slog.Logger
	msgs    *lang.Bundle
	router  chi.Router
	http    *http.Server
	ln      net.Listener
	closers []func() error
}

// Open prepares a server: it loads and validates the policy, creates the data
// directory and opens the store. Nothing listens until Start.
func Open(cfg Config, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.WebDir == "" {
		cfg.WebDir = "web"
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	s := &Server{cfg: cfg, log: log, msgs: lang.DefaultBundle()}
	s.router = s.routes()
	return s, nil
}

// Handler is the whole program as an http.Handler.
func (s *Server) Handler() http.Handler { return s.router }

// Start listens on cfg.Addr and serves in the background.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return err
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           s.router,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	return nil
}

// URL is the base URL the server listens on, e.g. http://127.0.0.1:41234.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
}

// Close stops serving, waits briefly for requests in flight, then closes the
// stores.
func (s *Server) Close() error {
	var errs []error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, s.http.Shutdown(ctx))
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	return errors.Join(errs...)
}

func (s *Server) wasmFile(name string) string { return filepath.Join(s.cfg.WebDir, name) }
