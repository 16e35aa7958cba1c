package server

import (
	"net/http"
	"net/url"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/httperr"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/views"
)

// mountSettings serves the app's privacy settings: the current choice per
// purpose, switches to change or withdraw each, the decision history and
// the third parties personal information is shared with.
func (s *Server) mountSettings(r chi.Router) {
	g := s.app
	r.Get("/settings/privacy", s.withConsent(g, s.handleSettings))
	r.Method(http.MethodPost, "/settings/privacy", s.forms.protect(false, s.withConsent(g, s.handleSettingsPost)))
	r.Get("/settings/privacy/receipts.json", s.withConsent(g, s.handleReceiptsDownload))
}

// handleReceiptsDownload gives this browser its receipts: the whole chain of
// its subject, in the form kaiconn-verify -chain checks. The subject comes
// from the kc_sub cookie (HttpOnly, signed by this server, set with the
// browser's first decision) and from nothing else: a receipt id is no
// credential, since it is shown in many places. A device's own outbox
// offers its chain too, including receipts not yet sent.
func (s *Server) handleReceiptsDownload(g *appConsent, w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	subject := s.cookieSubjectAny(r)
	if ret := s.retention(); ret != nil && subject != "" {
		if st, err := ret.State(ctx, subject); err == nil && st.Ending != nil {
			writeErased(w, st.Ending)
			return
		}
	}
	var recs []receipt.Record
	if subject != "" {
		var err error
		if recs, err = s.store.Subject(ctx, subject); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if len(recs) == 0 {
		writeJSON(w, http.StatusNotFound, httperr.BodyOf(errs.New(errs.NotFound, "no receipt of this browser's decisions is stored yet")))
		return
	}
	h := receipt.History{Subject: subject, Receipts: make([]receipt.Countersigned, 0, len(recs))}
	for _, rec := range recs {
		h.Receipts = append(h.Receipts, receipt.FromRecord(rec))
	}
	w.Header().Set("Content-Disposition", `attachment; filename="kaiconn-receipts.json"`)
	writeJSON(w, http.StatusOK, h)
}

// settingsView builds the state of /settings/privacy from the person's
// history, newest first (consentview.Catalogues.Settings).
func (g *appConsent) settingsView(l string, history []appDecision) components.SettingsView {
	return g.views().Settings(l, consentview.SettingsPage{PrivacyURL: privacyURL(l), GateURL: "/consent?open=1&lang=" + url.QueryEscape(l)}, history)
}

func (s *Server) handleSettings(g *appConsent, w http.ResponseWriter, r *http.Request) {
	l := s.readerLang(w, r)
	now := time.Now()
	history, host := g.current(r, now)
	v := g.settingsView(l, history)
	v.HostState = host
	if len(history) == 0 {
		v.RenderedFor, v.Catalogues = consentview.RenderedNone, g.catalogues
	}
	v.Ticket = s.pageTicket(r)
	if rid := r.URL.Query().Get("r"); rid != "" && len(history) > 0 && rid == history[0].ReceiptID && host == "" {
		v.Saved = string(history[0].Kind)
		v.Bridge = bridgeMessage(history[0])
	}
	if r.URL.Query().Get("unchanged") == "1" {
		v.Saved = "unchanged"
	}
	s.renderSettings(w, r, http.StatusOK, v)
}

func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, v components.SettingsView) {
	loc := s.msgs.Localizer(v.Lang)
	v.Strings = loc.Messages(components.SettingsMessages...) // the wasm carries no message files
	page := views.Page{Lang: v.Lang, Title: loc.T("settings_title"), Surface: "settings", State: v}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := views.Layout(page, loc).Render(templ.WithChildren(r.Context(), views.Settings(v, s.app.settingsCentre(v.Lang), loc)), w); err != nil {
		s.log.Error("render settings", "err", err)
	}
}

// settingsOutcome is the JSON answer to a decision posted by the wasm.
type settingsOutcome = components.Outcome[components.SettingsView]

func (s *Server) handleSettingsPost(g *appConsent, w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	l := s.readerLang(w, r)
	if fl, ok := lang.Normalize(r.PostForm.Get("lang")); ok {
		l = fl
	}
	history, host := g.current(r, now)
	var on []consent.PurposeID
	for _, id := range r.PostForm["purpose"] {
		on = append(on, consent.PurposeID(id))
	}
	// The one rule for a change of settings (consentview), which the
	// bundle's order endpoint and the wasm use too.
	d, changed, err := g.views().ChangeSettings(history, r.PostForm.Get("action"), on, l, now)
	if err != nil {
		g.log.Debug("settings change refused", "err", errs.Code(err))
		v := g.settingsView(l, history)
		v.HostState, v.Error = host, "settings_error_purpose"
		v.Ticket = s.pageTicket(r)
		if wantsJSON(r) {
			writeJSON(w, http.StatusUnprocessableEntity, settingsOutcome{View: v, Error: v.Error})
			return
		}
		s.renderSettings(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	back := "/settings/privacy?lang=" + url.QueryEscape(l)
	if !changed {
		if wantsJSON(r) {
			v := g.settingsView(l, history)
			v.HostState, v.Saved = host, "unchanged"
			v.Ticket = s.pageTicket(r)
			writeJSON(w, http.StatusOK, settingsOutcome{View: v})
			return
		}
		if host != "" {
			back += "&state=" + url.QueryEscape(host)
		}
		http.Redirect(w, r, back+"&unchanged=1", http.StatusSeeOther)
		return
	}
	rec, order, c, err := s.record(g, w, r, d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if wantsJSON(r) {
		h := append([]appDecision{rec}, g.history(r, now)...)
		v := g.settingsView(l, h[:min(len(h), historyLen)])
		v.Saved, v.Bridge = string(rec.Kind), bridgeMessage(rec)
		v.Ticket = s.ticketFor(c.Subject)
		writeJSON(w, http.StatusOK, settingsOutcome{View: v, Receipt: orderJSON(order)})
		return
	}
	http.Redirect(w, r, back+"&r="+rec.ReceiptID, http.StatusSeeOther)
}
