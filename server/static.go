package server

import (
	"crypto/sha256"
	"encoding/hex"
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
	etags := contentETags(static)
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	r.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		// Assets are small and change with each release; a short max-age
		// with revalidation keeps them fresh without a build-time hash.
		w.Header().Set("Cache-Control", "public, max-age=300, must-revalidate")
		// Embedded files have no modification time, so without an ETag a
		// revalidation would download them again. The file server answers
		// If-None-Match with 304 when this matches.
		if tag, ok := etags[strings.TrimPrefix(r.URL.Path, "/static/")]; ok {
			w.Header().Set("ETag", tag)
		}
		files.ServeHTTP(w, r)
	})
	r.Get("/app.wasm", s.serveBuilt("app.wasm", "application/wasm"))
	r.Get("/wasm_exec.js", s.serveBuilt("wasm_exec.js", "text/javascript; charset=utf-8"))
}

// contentETags computes, once at start, an ETag for every embedded file
// from its content. The tags are weak because the compression middleware
// may send the same file gzip-encoded, and a strong tag would have to name
// the encoded bytes; If-None-Match compares weakly, so 304s still work.
func contentETags(files fs.FS) map[string]string {
	tags := map[string]string{}
	fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		tags[path] = `W/"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	return tags
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
