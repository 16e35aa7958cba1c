package documents

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/views"
)

// fakeServer records what the documents asked of the server that mounts
// them: which language function each page used, the surface it rendered
// and the time it read the person's decision at.
type fakeServer struct {
	lang, surface string
	readAt        time.Time
}

func (f *fakeServer) deps(t *testing.T, now time.Time) Deps {
	return Deps{
		Policies:   localestest.Library(t, localestest.Base),
		Catalogues: map[string]*consent.Catalogue{localestest.Base: localestest.Catalogue(t, localestest.Base)},
		Msgs:       lang.DefaultBundle(),
		Render: func(w http.ResponseWriter, r *http.Request, page views.Page, loc *lang.Localizer, body templ.Component) {
			f.surface = page.Surface
			require.NoError(t, body.Render(r.Context(), w))
		},
		Lang:     func(http.ResponseWriter, *http.Request) string { f.lang = "Lang"; return lang.En },
		PageLang: func(http.ResponseWriter, *http.Request) string { f.lang = "PageLang"; return lang.En },
		Decisions: func(r *http.Request, at time.Time) ([]consent.Decision, string) {
			f.readAt = at
			return nil, ""
		},
		Now: func() time.Time { return now },
	}
}

// Only the policy viewer may remember a language chosen with the switch:
// the lists and the permission pages are opened by the app with a ?lang=
// of its own, which is no choice of the person's. The permission page
// reads the person's decision at the documents' clock.
func TestPagesUseTheirLanguageAndClock(t *testing.T) {
	now := time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)
	// A permission both the policy and its catalogue name.
	doc, ok := localestest.Version(t, localestest.Base).Doc(lang.En)
	require.True(t, ok)
	cat := localestest.Catalogue(t, localestest.Base)
	var permID string
	for _, p := range doc.Permissions() {
		if _, _, _, known := cat.Permission(p.ID); known {
			permID = p.ID
			break
		}
	}
	require.NotEmpty(t, permID)
	for _, tt := range []struct {
		name, target, lang, surface string
		readsDecision               bool
	}{
		{"Policy", "/privacy", "Lang", "privacy", false},
		{"Collected", "/privacy/collected", "PageLang", "lists", false},
		{"Shared", "/privacy/shared", "PageLang", "lists", false},
		{"Permission", "/permission?p=" + permID, "PageLang", "permission", true},
		{"UnknownPermission", "/permission?p=nothing", "PageLang", "permission", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServer{}
			r := chi.NewRouter()
			New(f.deps(t, now)).Mount(r)
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.target, nil))
			assert.NotEmpty(t, w.Body.String())
			assert.Equal(t, tt.lang, f.lang)
			assert.Equal(t, tt.surface, f.surface)
			if tt.readsDecision {
				assert.True(t, now.Equal(f.readAt), "read at %v", f.readAt)
			} else {
				assert.True(t, f.readAt.IsZero(), "no decision read")
			}
		})
	}
}
