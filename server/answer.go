package server

import (
	"net/http"
	"strings"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/httperr"
)

// wantsJSON reports whether a script posted the form and wants the
// outcome as JSON: gate.js and embed.js, which post in the background, and
// the settings' wasm.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// writeJSON answers a page's script with v as JSON that no cache keeps:
// every such answer is about this browser's own decisions.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	httperr.WriteJSON(w, status, v)
}

// writeError answers a refused or failed form post with the status of the
// error's code (httperr's one table): JSON to a script, text to a form.
// Nothing was remembered, so the person can simply try again. Internal
// errors are logged as errors; a busy chain or a rate limit, which the
// client retries (Retry-After), at Info; a refusal, which the person sees,
// at Debug. No subject and no receipt id are logged.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := httperr.Status(err)
	switch {
	case status == http.StatusInternalServerError:
		s.log.Error("form post failed", "route", r.URL.Path, "code", errs.Code(err), "err", err)
	case httperr.Retryable(status):
		s.log.Info("form post deferred, retryable", "status", status, "route", r.URL.Path)
		if w.Header().Get("Retry-After") == "" {
			w.Header().Set("Retry-After", "1")
		}
	default:
		s.log.Debug("form post refused", "status", status, "code", errs.Code(err))
	}
	if wantsJSON(r) {
		writeJSON(w, status, httperr.BodyOf(err))
		return
	}
	http.Error(w, errs.Message(err), status)
}
