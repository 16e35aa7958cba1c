package server

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/views"
)

func (s *Server) mountLists(r chi.Router) {
	for _, k := range lists.Kinds {
		r.Get("/privacy/"+string(k), s.handleList(k))
	}
}

// pageLang chooses the reader's language as /privacy does (?lang=, the
// kc_lang cookie, Accept-Language) but never sets the cookie: the app opens
// these pages with ?lang= of its own, which is not the reader's choice.
func pageLang(w http.ResponseWriter, r *http.Request) string {
	var cookie string
	if c, err := r.Cookie(langCookie); err == nil {
		cookie = c.Value
	}
	w.Header().Add("Vary", "Accept-Language, Cookie")
	return lang.Choose(r.URL.Query().Get("lang"), cookie, r.Header.Get("Accept-Language"))
}

// handleList serves one of the two lists of the policy in force, built from
// its catalogue (held to the policy when the server started).
func (s *Server) handleList(kind lists.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l := pageLang(w, r)
		loc := s.msgs.Localizer(l)
		query := r.URL.Query().Get("q")
		if len(query) > 200 {
			query = strings.ToValidUTF8(query[:200], "")
		}
		v := s.policies.Latest()
		page, err := lists.Build(kind, s.catalogues[v.ID], v, loc, query)
		if err != nil {
			s.log.Error("list", "kind", string(kind), "err", err)
			http.Error(w, "list unavailable", http.StatusInternalServerError)
			return
		}
		s.render(w, r, views.Page{Lang: l, Title: page.Title, Surface: "lists"}, loc, views.List(page, loc))
	}
}
