package documents

import (
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/views"
)

func (docs *Documents) mountLists(r chi.Router) {
	for _, k := range lists.Kinds {
		r.Get("/privacy/"+string(k), docs.handleList(k))
	}
}

// handleList serves one of the two lists of the policy in force, built from
// its catalogue (held to the policy when the server started).
func (docs *Documents) handleList(kind lists.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l := docs.d.PageLang(w, r)
		loc := docs.d.Msgs.Localizer(l)
		query := r.URL.Query().Get("q")
		if len(query) > maxQuery {
			query = strings.ToValidUTF8(query[:maxQuery], "")
		}
		v := docs.d.Policies.Latest()
		page, err := lists.Build(kind, docs.d.Catalogues[v.ID], v, loc, query)
		if err != nil {
			docs.d.Log.Error("list", "kind", string(kind), "err", err)
			http.Error(w, "list unavailable", http.StatusInternalServerError)
			return
		}
		docs.d.Render(w, r, views.Page{Lang: l, Title: page.Title, Surface: "lists", Styles: []string{"lists.css"}}, loc, views.List(page, loc))
	}
}
