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
// Nothing was remembered, so the person can simply try again, and a
// retryable answer says when (Retry-After). Internal errors are logged as
// errors; a busy chain, which an operator may want to see, at Info; a
// refusal or a rate limit, which anyone can cause as often as they like,
// at Debug. No subject and no receipt id are logged.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := httperr.Status(err)
	switch {
	case status == http.StatusInternalServerError:
		s.log.Error("form post failed", "route", r.URL.Path, "code", errs.Code(err), "err", err)
	case status == http.StatusConflict:
		s.log.Info("form post deferred, retryable", "status", status, "route", r.URL.Path)
	default:
		s.log.Debug("form post refused", "status", status, "code", errs.Code(err))
	}
	if httperr.Retryable(status) && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	if wantsJSON(r) {
		writeJSON(w, status, httperr.BodyOf(err))
		return
	}
	http.Error(w, errs.Message(err), status)
}
