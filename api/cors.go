package api

import (
	"net/http"
	"strings"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/httperr"
)

// cors allows cross-origin calls from the listed origins only. A listed
// origin is echoed back, never "*", and preflight requests from other
// origins are refused, so a page elsewhere cannot post receipts in a
// visitor's name.
func cors(origins []string) func(http.Handler) http.Handler {
	allowed := make(map[string]bool, len(origins))
	for _, o := range origins {
		allowed[strings.TrimRight(o, "/")] = true
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Add("Vary", "Origin")
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			if !allowed[origin] {
				if preflight {
					httperr.Write(w, errs.New(errs.Forbidden, "origin not allowed"))
					return
				}
				// Without the allow header the browser keeps the answer
				// from the page; same-origin and non-browser callers are
				// unaffected.
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", "Retry-After, WWW-Authenticate")
			if preflight {
				w.Header().Add("Vary", "Access-Control-Request-Method")
				w.Header().Add("Vary", "Access-Control-Request-Headers")
				w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
				w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization, Kaiconn-Ticket")
				w.Header().Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CORS is the API's cross-origin rule for the routes the server mounts
// beside the API for the same callers (the app bundle's orders,
// docs/bundle.md): the listed origins, echoed, without credentials.
func CORS(origins []string) func(http.Handler) http.Handler { return cors(origins) }
