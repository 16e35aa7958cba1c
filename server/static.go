package server

import (
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/web"
)

func (s *Server) mountStatic(r chi.Router) {
	static, _ := fs.Sub(web.Static, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	r.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		// Assets are small and change with each release; a short max-age
		// with revalidation keeps them fresh without a build-time hash.
		w.Header().Set("Cache-Control", "public, max-age=300, must-revalidate")
		files.ServeHTTP(w, r)
	})
	r.Get("/app.wasm", s.serveBuilt("app.wasm", "application/wasm"))
	r.Get("/wasm_exec.js", s.serveBuilt("wasm_exec.js", "text/javascript; charset=utf-8"))
}

// serveBuilt serves a build output from WebDir, preferring a precompressed
// sibling (name.br, name.gz) the client accepts: the wasm is megabytes raw
// and a fraction of that compressed, and compressing per request would cost
// seconds of CPU.
func (s *Server) serveBuilt(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		path := s.wasmFile(name)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Add("Vary", "Accept-Encoding")
		accept := r.Header.Get("Accept-Encoding")
		for _, enc := range []struct{ token, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
			if !acceptsEncoding(accept, enc.token) {
				continue
			}
			if st, err := os.Stat(path + enc.ext); err == nil && !st.IsDir() {
				if base, err := os.Stat(path); err == nil && st.ModTime().Before(base.ModTime()) {
					continue // stale: built before the file it compresses
				}
				w.Header().Set("Content-Encoding", enc.token)
				http.ServeFile(w, r, path+enc.ext)
				return
			}
		}
		if _, err := os.Stat(path); err != nil {
			// Without the wasm the pages still work; say how to build it.
			http.Error(w, name+" is not built: run make wasm", http.StatusNotFound)
			return
		}
		http.ServeFile(w, r, path)
	}
}

func acceptsEncoding(header, token string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), token) {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q, _ = strconv.ParseFloat(v, 64)
		}
		return q > 0
	}
	return false
}
