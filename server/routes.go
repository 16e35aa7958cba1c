package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// routes lists every URL the program answers. Each feature keeps its
// handlers in its own file; this is the one place they are mounted.
func (s *Server) routes() chi.Router {
	r := chi.NewRouter()
	// Compress text only: the wasm is served precompressed.
	compress := middleware.Compress(5, "text/html", "text/css", "text/javascript", "application/json", "application/x-ndjson", "image/svg+xml")
	r.Use(middleware.Recoverer, s.logRequests, securityHeaders, varyOnce, compress)

	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/privacy", http.StatusFound)
	})
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	s.mountStatic(r)
	s.mountPrivacy(r)
	s.mountLists(r)
	s.mountPermission(r)
	s.mountReceipts(r)
	s.mountBanner(r)
	s.mountGate(r)
	s.mountSettings(r)
	s.mountAdmin(r)
	return r
}
