package server

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes lists every URL the program answers. Each feature keeps its
// handlers in its own file; this is the one place they are mounted.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	// Compress text only: the wasm is served precompressed.
	compress := middleware.Compress(5, "text/html", "text/css", "text/javascript", "application/json", "application/x-ndjson", "image/svg+xml")
	r.Use(middleware.Recoverer, s.logRequests, securityHeaders, varyOnce, exceptPosts(compress), s.withAssets)

	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/privacy", http.StatusFound)
	})
	r.Get("/healthz", s.healthz)
	r.Head("/healthz", s.healthz)
	s.assets.Mount(r)
	s.mountDocuments(r)
	s.mountReceipts(r)
	s.mountBundle(r)
	s.mountBanner(r)
	s.app.Mount(r)
	s.mountAdmin(r)
	return r
}

// healthz answers GET and HEAD /healthz: 200 when the store can read and
// write (checkStore, health.go), 503 when it cannot, so a load balancer
// stops sending decisions to an instance that cannot keep them.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.checkStore(ctx); err != nil {
		s.log.Error("healthz: the receipt store cannot read or write", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		if r.Method != http.MethodHead {
			w.Write([]byte("receipt store unavailable\n"))
		}
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write([]byte("ok\n"))
	}
}

// exceptPosts applies mw to every request but a POST. What a POST answers
// (an acknowledgement, a redirect, a small JSON state) is a few hundred
// bytes: compressing it costs a compressor's reset, more than it saves.
func exceptPosts(mw func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		wrapped := mw(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				next.ServeHTTP(w, r)
				return
			}
			wrapped.ServeHTTP(w, r)
		})
	}
}
