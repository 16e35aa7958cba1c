package documents

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/views"
)

// Deps are what the documents work with, given by the server that mounts
// them.
type Deps struct {
	Policies *policy.Library
	// Catalogues are the purpose catalogues of every policy version, each
	// held to its policy when the server started.
	Catalogues map[string]*consent.Catalogue
	Msgs       *lang.Bundle
	Log        *slog.Logger
	// Render writes a page in the product's layout.
	Render func(w http.ResponseWriter, r *http.Request, page views.Page, loc *lang.Localizer, body templ.Component)
	// Lang is the reader's language, remembering one chosen with the
	// language switch; PageLang is the same choice remembering nothing,
	// for the pages the app opens with a ?lang= of its own.
	Lang     func(w http.ResponseWriter, r *http.Request) string
	PageLang func(w http.ResponseWriter, r *http.Request) string
	// Decisions are the person's app decisions, newest first, read as the
	// first-launch gate reads them (the host's ?state=, else the
	// kc_app_consent cookie), and the host's state as received ("" when
	// it came from the cookie), which links carry on.
	Decisions func(r *http.Request, now time.Time) (history []consent.Decision, hostState string)
	// Now is the clock a decision is read at; nil reads the system's.
	Now func() time.Time
}

// Documents are the policy's pages, ready to mount.
type Documents struct{ d Deps }

// New prepares the documents over d.
func New(d Deps) *Documents {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Documents{d: d}
}

// Mount adds the documents' routes to r.
func (docs *Documents) Mount(r chi.Router) {
	r.Get("/privacy", docs.handlePrivacy)
	docs.mountLists(r)
	r.Get("/permission", docs.handlePermission)
}
