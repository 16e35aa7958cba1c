package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/web"
	"github.com/kaiconn/consent/web/pipeline"
)

// Assets are served twice (docs/assets.md):
//   - at a content-hashed URL (/static/<name>.<hash>.<ext>, /app.<hash>.wasm,
//     /wasm_exec.<hash>.js), cached for good: a release changes the URL,
//     never what a URL answers. The pages name only these (views.Asset).
//   - at the plain URL (/static/<name>, /app.wasm, /wasm_exec.js), with a
//     short cache and revalidation, for anything already out there that
//     names it, and /embed.js, whose URL is a public contract.

// immutable is the Cache-Control of a content-hashed URL.
const immutable = "public, max-age=31536000, immutable"

// hashLen is how many hex digits of a file's SHA-256 its URL carries.
const hashLen = 12

// hashed is one file served at a content-hashed URL, with its compressed
// forms where they pay.
type hashed struct {
	name, contentType string
	raw, gz, br       []byte
	// built is a build output (the wasm), served from WebDir with its
	// precompressed siblings rather than from memory.
	built bool
	// etag is the weak ETag of raw, for the plain URL.
	etag string
}

// Set is the asset map: the URL of every asset by name, and what each
// hashed URL serves.
type Set struct {
	webDir string // holds the built app.wasm and wasm_exec.js
	urls   map[string]string
	files  map[string]*hashed
}

// New builds the asset set, once at start: the embedded web/static and
// the wasm and its loader in webDir, when they are built there.
func New(webDir string) *Set {
	static, err := fs.Sub(web.Static, "static")
	if err != nil {
		panic("web/static: " + err.Error()) // embedded: cannot fail but by a bug of this build
	}
	return build(static, webDir)
}

// URL is the content-hashed URL of the asset name ("app.css",
// "app.wasm"), or "" when there is no such asset.
func (s *Set) URL(name string) string { return s.urls[name] }

// Mount adds the assets' routes to r: /static/*, /favicon.ico, the wasm
// and its loader at their plain and hashed URLs.
func (s *Set) Mount(r chi.Router) {
	r.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		if a, ok := s.files[r.URL.Path]; ok {
			serveHashed(w, r, a)
			return
		}
		// An unhashed URL: the same built bytes, with a short max-age and
		// revalidation.
		a, ok := s.files[s.urls[strings.TrimPrefix(r.URL.Path, "/static/")]]
		if !ok || a.built {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300, must-revalidate")
		// Embedded files have no modification time, so without an ETag a
		// revalidation would download them again. ServeContent answers
		// If-None-Match with 304 when this matches.
		w.Header().Set("ETag", a.etag)
		if a.contentType != "" {
			w.Header().Set("Content-Type", a.contentType)
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.raw))
	})
	// Browsers ask for /favicon.ico whatever the page links; answer with
	// the icon every page names, so that no request ends in a 404 (a
	// console error on every page) and none goes to a third party.
	r.Get("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		a := s.files[s.urls["icon.svg"]]
		w.Header().Set("Content-Type", a.contentType)
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.raw))
	})
	r.Get("/app.wasm", s.serveBuilt("app.wasm", "application/wasm", "no-cache"))
	r.Get("/wasm_exec.js", s.serveBuilt("wasm_exec.js", "text/javascript; charset=utf-8", "no-cache"))
	for path, a := range s.files {
		if a.built {
			r.Get(path, s.serveBuilt(a.name, a.contentType, immutable))
		}
	}
}

// URLs is the asset map, name to content-hashed URL, for the pages to
// name assets by (views.WithAssets). It is built once and never changes;
// its reader must not change it either.
func (s *Set) URLs() map[string]string { return s.urls }

// build builds every embedded static file (pipeline.Build: scripts
// joined with their parts, scripts and stylesheets minified) and hashes
// it, and the built wasm and wasm_exec.js when WebDir holds them, once at
// start. A file is compressed here, once, when that saves at least a tenth
// of it. The shared parts are served only inside the scripts that name
// them.
func build(static fs.FS, webDir string) *Set {
	set := &Set{webDir: webDir, urls: map[string]string{}, files: map[string]*hashed{}}
	err := fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || pipeline.IsPart(name) {
			return err
		}
		data, err := pipeline.Build(static, name)
		if err != nil {
			return err
		}
		a := &hashed{name: name, contentType: mime.TypeByExtension(path.Ext(name)), raw: data, etag: contentETag(data)}
		if compressible(a.contentType) {
			a.gz, a.br = compressed(data)
		}
		u := "/static/" + hashedName(name, data)
		set.urls[name], set.files[u] = u, a
		return nil
	})
	if err != nil {
		// The files are embedded: a script naming a part that is missing
		// is a bug of this build, which pipeline's tests catch first.
		panic("web/static: " + err.Error())
	}
	for _, b := range []struct{ name, contentType string }{
		{"app.wasm", "application/wasm"},
		{"wasm_exec.js", "text/javascript; charset=utf-8"},
	} {
		data, err := os.ReadFile(set.builtFile(b.name))
		if err != nil {
			continue // not built: the pages name the plain URL, which says how to build it
		}
		u := "/" + hashedName(b.name, data)
		set.urls[b.name], set.files[u] = u, &hashed{name: b.name, contentType: b.contentType, built: true}
	}
	return set
}

// hashedName puts the first hashLen hex digits of data's SHA-256 before
// name's extension: app.css becomes app.3f9a1c2b7d04.css.
func hashedName(name string, data []byte) string {
	sum := sha256.Sum256(data)
	ext := path.Ext(name)
	return strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:])[:hashLen] + ext
}

func compressible(contentType string) bool {
	for _, p := range []string{"text/", "application/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(contentType, p) {
			return true
		}
	}
	return false
}

// compressedForms holds, by the SHA-256 of the content, the gzip and
// brotli forms of every asset this process has compressed (nil when
// compression saves less than a tenth). Brotli at its best quality is most
// of what New costs, and a process that opens many servers, as the tests
// do, would otherwise compress the same bytes each time. Keyed by content,
// an entry can never be stale.
var compressedForms sync.Map // [sha256.Size]byte → [2][]byte

func compressed(data []byte) (gz, br []byte) {
	key := sha256.Sum256(data)
	if f, ok := compressedForms.Load(key); ok {
		forms := f.([2][]byte)
		return forms[0], forms[1]
	}
	gz, br = gzipBytes(data), brotliBytes(data)
	if len(gz) > len(data)*9/10 {
		gz, br = nil, nil
	}
	compressedForms.Store(key, [2][]byte{gz, br})
	return gz, br
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func brotliBytes(b []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// serveHashed answers a content-hashed static URL from memory, in the best
// encoding the client accepts.
func serveHashed(w http.ResponseWriter, r *http.Request, a *hashed) {
	h := w.Header()
	h.Set("Cache-Control", immutable)
	h.Set("Content-Type", a.contentType)
	body := a.raw
	if a.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		accept := r.Header.Get("Accept-Encoding")
		switch {
		case acceptsEncoding(accept, "br"):
			h.Set("Content-Encoding", "br")
			body = a.br
		case acceptsEncoding(accept, "gzip"):
			h.Set("Content-Encoding", "gzip")
			body = a.gz
		}
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// contentETag is the ETag of an embedded file's built bytes. It is weak
// because the compression middleware may send the same file gzip-encoded,
// and a strong tag would have to name the encoded bytes; If-None-Match
// compares weakly, so 304s still work.
func contentETag(data []byte) string {
	sum := sha256.Sum256(data)
	return `W/"` + hex.EncodeToString(sum[:12]) + `"`
}

// serveBuilt serves a build output from WebDir, preferring a precompressed
// sibling (name.br, name.gz) the client accepts: the wasm is megabytes raw
// and a fraction of that compressed, and compressing per request would cost
// seconds of CPU.
func (s *Set) serveBuilt(name, contentType, cacheControl string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		path := s.builtFile(name)
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", cacheControl)
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

// builtFile is the path of a build output in the web directory.
func (s *Set) builtFile(name string) string { return filepath.Join(s.webDir, name) }

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
