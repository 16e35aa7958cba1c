package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/views"
)

// langCookie remembers a language the reader chose explicitly. It is set
// only in answer to that choice, never on a first visit.
const langCookie = "kc_lang"

func (s *Server) mountPrivacy(r chi.Router) {
	r.Get("/privacy", s.handlePrivacy)
}

// readerLang applies lang.Choose to a request and remembers an explicit
// ?lang= choice.
func (s *Server) readerLang(w http.ResponseWriter, r *http.Request) string {
	var cookie string
	if c, err := r.Cookie(langCookie); err == nil {
		cookie = c.Value
	}
	q := r.URL.Query().Get("lang")
	l := lang.Choose(q, cookie, r.Header.Get("Accept-Language"))
	if _, ok := lang.Normalize(q); ok && cookie != l {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
	}
	w.Header().Add("Vary", "Accept-Language, Cookie")
	return l
}

func (s *Server) handlePrivacy(w http.ResponseWriter, r *http.Request) {
	l := s.readerLang(w, r)
	loc := s.msgs.Localizer(l)
	page := views.Page{Lang: l, Title: loc.T("privacy_title"), Surface: "privacy", State: map[string]string{"lang": l}}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := views.Layout(page, loc).Render(r.Context(), w); err != nil {
		s.log.Error("render privacy", "err", err)
	}
}
