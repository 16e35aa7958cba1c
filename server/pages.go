package server

import (
	"net/http"
	"slices"

	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"

	"github.com/kaiconn/consent/banner"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/documents"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/views"
)

// langCookie remembers a language the reader chose explicitly, with the
// language switch. It is a preference cookie: the catalogue lists it under
// the website's preferences category, whose text says preference cookies
// remember the language. It is set only in answer to that choice, and only
// once the reader's kc_consent allows preferences; never from ?lang= alone
// (a link, the app, embed.js), never under Global Privacy Control. Until
// then the language lives in the address (?lang=, which every link of the
// pages carries) or, in the app, in the host's state.
const langCookie = "kc_lang"

// preferencesPurpose is the website's category of preference cookies, which
// kc_lang belongs to.
const preferencesPurpose consent.PurposeID = "preferences"

// langChoiceParam marks the language switch's links: ?lang=xx&setlang=1
// is the person choosing xx.
const langChoiceParam = "setlang"

// mountDocuments mounts the policy's pages (package documents): the policy
// viewer, the two lists and the permission pages, over the policies and
// catalogues, the pages' layout and language, and the person's app
// decision as the gate reads it.
func (s *Server) mountDocuments(r chi.Router) {
	documents.New(documents.Deps{
		Policies:   s.policies,
		Catalogues: s.catalogues,
		Msgs:       s.msgs,
		Log:        s.log,
		Render:     s.render,
		Lang:       s.readerLang,
		PageLang:   pageLang,
		Decisions: func(r *http.Request, now time.Time) ([]consent.Decision, string) {
			history, hostRaw := s.app.Current(r, now)
			return consentview.Decisions(history), hostRaw
		},
	}).Mount(r)
}

// readerLang applies lang.Choose to a request and remembers a language
// chosen with the switch.
func (s *Server) readerLang(w http.ResponseWriter, r *http.Request) string {
	var cookie string
	if c, err := r.Cookie(langCookie); err == nil {
		cookie = c.Value
	}
	q := r.URL.Query()
	l := lang.Choose(q.Get("lang"), cookie, r.Header.Get("Accept-Language"))
	_, valid := lang.Normalize(q.Get("lang"))
	chosen := valid && q.Get(langChoiceParam) == "1"
	if chosen && r.Header.Get("Sec-GPC") != "1" && cookie != l && s.preferencesAllowed(r) {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, Secure: s.isHTTPS(r)})
	}
	w.Header().Add("Vary", "Accept-Language, Cookie, Sec-GPC")
	return l
}

// preferencesAllowed tells whether the reader's website decision, a valid
// kc_consent, grants preference cookies.
func (s *Server) preferencesAllowed(r *http.Request) bool {
	ck, err := r.Cookie(banner.CookieName)
	if err != nil {
		return false
	}
	c, err := banner.ParseCookie(ck.Value, s.newCookieKeys(banner.CookieName))
	return err == nil && slices.Contains(c.Granted, preferencesPurpose)
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

// render writes a page in the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, page views.Page, loc *lang.Localizer, body templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	ctx := templ.WithChildren(r.Context(), body)
	if err := views.Layout(page, loc).Render(ctx, w); err != nil {
		s.log.Error("render", "surface", page.Surface, "err", err)
	}
}
