package documents

import (
	"net/http"

	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/policyview"
	"github.com/kaiconn/consent/views"
)

// maxQuery is how many bytes of a search the pages look for: a search is
// a word or two, and a longer one only costs the server.
const maxQuery = 200

// handlePrivacy serves /privacy: the policy in force, or the version that
// ?version= names, in one language or both (?view=), with ?q= marked.
func (docs *Documents) handlePrivacy(w http.ResponseWriter, r *http.Request) {
	l := docs.d.Lang(w, r)
	loc := docs.d.Msgs.Localizer(l)
	q := r.URL.Query()
	v := docs.d.Policies.Latest()
	if id := q.Get("version"); id != "" {
		var ok bool
		if v, ok = docs.d.Policies.Version(id); !ok {
			http.Error(w, "unknown policy version", http.StatusNotFound)
			return
		}
	}
	query := q.Get("q")
	if len(query) > maxQuery {
		query = query[:maxQuery]
	}
	page := policyview.Build(v, l, q.Get("view"), query, onlyNote(loc))
	docs.d.Render(w, r, views.Page{Lang: l, Title: loc.T("privacy_title"), Surface: "privacy"}, loc, views.Privacy(page, loc))
}

// onlyNote says, in the language of loc, that a clause exists in one
// language only.
func onlyNote(loc *lang.Localizer) func(string) string {
	return func(only string) string {
		if only == lang.ZhHans {
			return loc.T("privacy_only_in_zh")
		}
		return loc.T("privacy_only_in")
	}
}
