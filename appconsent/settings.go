package appconsent

import (
	"net/http"
	"net/url"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/views"
)

// mountSettings serves the app's privacy settings: the current choice per
// purpose, switches to change or withdraw each, the decision history and
// the third parties personal information is shared with. The download of
// the browser's receipts at /settings/privacy/receipts.json is the
// receipt service's (Deps.Receipts).
func (g *App) mountSettings(r chi.Router) {
	r.Get("/settings/privacy", withForm(g.handleSettings))
	r.Method(http.MethodPost, "/settings/privacy", g.d.Protect(withForm(g.handleSettingsPost)))
	if g.d.Receipts != nil {
		r.Get("/settings/privacy/receipts.json", g.d.Receipts)
	}
}

// settingsView builds the state of /settings/privacy from the person's
// history, newest first (consentview.Catalogues.Settings).
func (g *App) settingsView(l string, history []Decision) components.SettingsView {
	return g.views().Settings(l, consentview.SettingsPage{PrivacyURL: privacyURL(l), GateURL: "/consent?open=1&lang=" + url.QueryEscape(l)}, history)
}

func (g *App) handleSettings(w http.ResponseWriter, r *http.Request) {
	l := g.d.Lang(w, r)
	now := g.d.Now()
	history, host := g.current(r, now)
	v := g.settingsView(l, history)
	v.HostState = host
	if len(history) == 0 {
		v.RenderedFor, v.Catalogues = consentview.RenderedNone, g.catalogues
	}
	v.Ticket = g.d.PageTicket(r)
	if rid := r.URL.Query().Get("r"); rid != "" && len(history) > 0 && rid == history[0].ReceiptID && host == "" {
		v.Saved = string(history[0].Kind)
		v.Bridge = bridgeMessage(history[0])
	}
	if r.URL.Query().Get("unchanged") == "1" {
		v.Saved = "unchanged"
	}
	g.renderSettings(w, r, http.StatusOK, v)
}

func (g *App) renderSettings(w http.ResponseWriter, r *http.Request, status int, v components.SettingsView) {
	loc := g.d.Msgs.Localizer(v.Lang)
	v.Strings = loc.Messages(components.SettingsMessages...) // the wasm carries no message files
	page := views.Page{Lang: v.Lang, Title: loc.T("settings_title"), Surface: "settings", State: v, Styles: []string{"settings.css"}}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := views.Layout(page, loc).Render(templ.WithChildren(r.Context(), views.Settings(v, g.settingsCentre(v.Lang), loc)), w); err != nil {
		g.log.Error("render settings", "err", err)
	}
}

// settingsOutcome is the JSON answer to a decision posted by the wasm.
type settingsOutcome = components.Outcome[components.SettingsView]

func (g *App) handleSettingsPost(w http.ResponseWriter, r *http.Request) {
	now := g.d.Now()
	l := g.d.Lang(w, r)
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
		v.Ticket = g.d.PageTicket(r)
		if g.d.WantsJSON(r) {
			g.d.WriteJSON(w, http.StatusUnprocessableEntity, settingsOutcome{View: v, Error: v.Error})
			return
		}
		g.renderSettings(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	back := "/settings/privacy?lang=" + url.QueryEscape(l)
	if !changed {
		if g.d.WantsJSON(r) {
			v := g.settingsView(l, history)
			v.HostState, v.Saved = host, "unchanged"
			v.Ticket = g.d.PageTicket(r)
			g.d.WriteJSON(w, http.StatusOK, settingsOutcome{View: v})
			return
		}
		if host != "" {
			back += "&state=" + url.QueryEscape(host)
		}
		http.Redirect(w, r, back+"&unchanged=1", http.StatusSeeOther)
		return
	}
	rec, order, c, err := g.record(w, r, d)
	if err != nil {
		g.d.WriteError(w, r, err)
		return
	}
	if g.d.WantsJSON(r) {
		h := append([]Decision{rec}, g.history(r, now)...)
		v := g.settingsView(l, h[:min(len(h), HistoryLen)])
		v.Saved, v.Bridge = string(rec.Kind), bridgeMessage(rec)
		v.Ticket = g.d.TicketFor(c.Subject)
		g.d.WriteJSON(w, http.StatusOK, settingsOutcome{View: v, Receipt: orderJSON(order)})
		return
	}
	http.Redirect(w, r, back+"&r="+rec.ReceiptID, http.StatusSeeOther)
}
