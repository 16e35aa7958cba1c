package server

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/kaiconn/consent/views"
)

// contentSecurityPolicy allows our own origin only. 'wasm-unsafe-eval' is the
// narrowest permission under which a browser compiles WebAssembly; no inline
// script or style is ever needed (page state travels as a JSON script block,
// which is data, not code).
var contentSecurityPolicy = strings.Join([]string{
	"default-src 'none'",
	"script-src 'self' 'wasm-unsafe-eval'",
	"style-src 'self'",
	"img-src 'self' data:",
	"connect-src 'self'",
	"font-src 'self'",
	"form-action 'self'",
	"base-uri 'none'",
	"object-src 'none'",
	"frame-ancestors 'self'",
}, "; ")

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "geolocation=(), camera=(), microphone=(), interest-cohort=()")
		next.ServeHTTP(w, r)
	})
}

// withAssets hands every request the asset map (package assets), for the
// pages to name assets by (views.Asset).
func (s *Server) withAssets(next http.Handler) http.Handler {
	urls := s.assets.URLs()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(views.WithAssets(r.Context(), urls)))
	})
}

// logRequests logs the route pattern, never the path: paths can carry a
// subject id, and query strings a search term, neither of which belongs in
// a log.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// With debug logging off, as in production, the wrapper and the
		// log call's arguments would be allocated for nothing.
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		s.log.Debug("request", "method", r.Method, "route", route, "status", ww.Status(), "dur", time.Since(start))
	})
}

// varyOnce merges the Vary values a response collected into one list
// without repeats. The compression middleware adds "Accept-Encoding" when
// it compresses, and serveBuilt adds it too, because a response may vary
// on Accept-Encoding whichever of them picks the encoding; without the merge
// wasm_exec.js named it twice. It must wrap the compression middleware.
func varyOnce(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&varyOnceWriter{ResponseWriter: w}, r)
	})
}

type varyOnceWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (w *varyOnceWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		mergeVary(w.Header())
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *varyOnceWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

func (w *varyOnceWriter) Flush() {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *varyOnceWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func mergeVary(h http.Header) {
	values := h.Values("Vary")
	if len(values) < 2 && !strings.Contains(strings.Join(values, ""), ",") {
		return
	}
	var names []string
	seen := map[string]bool{}
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if key := strings.ToLower(name); name != "" && !seen[key] {
				seen[key] = true
				names = append(names, name)
			}
		}
	}
	if seen["*"] {
		names = []string{"*"}
	}
	h.Set("Vary", strings.Join(names, ", "))
}
