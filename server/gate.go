package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/views"
)

// appConsent is what the first-launch gate and the privacy settings share:
// the catalogue of every policy version (a cookie or a host app may hold a
// decision made under an older one) and the latest, which is asked about.
type appConsent struct {
	log    *slog.Logger
	cfg    Config
	cats   map[string]*consent.Catalogue
	latest *consent.Catalogue
	policy *policy.Library
	key    []byte // signs the decision cookie
	// secure tells whether the browser reached us over TLS (Server.isHTTPS).
	secure func(*http.Request) bool
}

func (s *Server) newAppConsent() *appConsent {
	return &appConsent{
		log:    s.log,
		cfg:    s.cfg,
		cats:   s.catalogues,
		latest: s.catalogues[s.policies.Latest().ID],
		policy: s.policies,
		key:    s.cookieKey,
		secure: s.isHTTPS,
	}
}

func (s *Server) mountGate(r chi.Router) {
	g := s.app
	r.Get("/consent", s.withConsent(g, s.handleGate))
	r.Method(http.MethodPost, "/consent", s.forms.protect(false, s.withConsent(g, s.handleGatePost)))
	r.Get("/consent/done", s.withConsent(g, s.handleGateDone))
}

// withConsent reads a posted form, bounded in size. Where a decision may
// be posted from is the form guard's to check (s.forms.protect).
func (s *Server) withConsent(g *appConsent, h func(*appConsent, http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
			if err := r.ParseForm(); err != nil {
				http.Error(w, "form: unreadable", http.StatusBadRequest)
				return
			}
		}
		h(g, w, r)
	}
}

// hostState is what the host app hands the page in ?state= (README: "First-launch gate, settings and the native bridge"):
// the last bridge message it received, plus when the decision was made.
type hostState struct {
	Type          string          `json:"type"`
	Decision      consent.Kind    `json:"decision"`
	PolicyVersion string          `json:"policyVersion"`
	Purposes      map[string]bool `json:"purposes"`
	ReceiptID     string          `json:"receiptId"`
	At            string          `json:"at,omitempty"` // RFC 3339; empty when unknown
}

// parseHostState decodes ?state= strictly: base64url (padding optional) of
// one JSON object, purposes known to its policy version, required
// processing not refused. Anything else is ignored as a whole.
func (g *appConsent) parseHostState(v string, now time.Time) (*appDecision, error) {
	if len(v) > maxCookieLen {
		return nil, errs.New(errs.Invalid, "state: too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
	if err != nil {
		return nil, errs.New(errs.Invalid, "state: not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var st hostState
	if err := dec.Decode(&st); err != nil || dec.More() {
		return nil, errs.New(errs.Invalid, "state: not a consent state object")
	}
	if st.Type != "" && st.Type != components.BridgeType {
		return nil, errs.New(errs.Invalid, "state: type %q", st.Type)
	}
	if !slices.Contains(consent.Kinds, st.Decision) {
		return nil, errs.New(errs.Invalid, "state: decision %q", st.Decision)
	}
	cat, ok := g.cats[st.PolicyVersion]
	if !ok {
		return nil, errs.New(errs.Invalid, "state: policyVersion %q", st.PolicyVersion)
	}
	if st.ReceiptID != "" && !validReceiptID(st.ReceiptID) {
		return nil, errs.New(errs.Invalid, "state: receiptId")
	}
	var at time.Time
	if st.At != "" {
		if at, err = time.Parse(time.RFC3339, st.At); err != nil || at.After(now.Add(5*time.Minute)) {
			return nil, errs.New(errs.Invalid, "state: at")
		}
	}
	var granted []consent.PurposeID
	for id, on := range st.Purposes {
		p, ok := cat.Purpose(consent.SurfaceFirstLaunch, consent.PurposeID(id))
		if !ok {
			return nil, errs.New(errs.Invalid, "state: purposes: unknown purpose %q", id)
		}
		if p.Required && !on {
			return nil, errs.New(errs.Invalid, "state: purposes: %q is required", id)
		}
		if on && !p.Required {
			granted = append(granted, p.ID)
		}
	}
	slices.Sort(granted)
	d, err := consent.Agree(cat, consent.SurfaceSettings, granted, lang.ZhHans, at)
	if err != nil {
		return nil, err
	}
	d.Kind = st.Decision
	return &appDecision{Decision: d, ReceiptID: st.ReceiptID}, nil
}

// current returns the person's decision history, newest first: the host
// app's state when it handed one over (the host is the authority in the
// app), else the cookie. hostRaw is the state as received, to be carried
// through forms.
func (g *appConsent) current(r *http.Request, now time.Time) (history []appDecision, hostRaw string) {
	raw := r.FormValue("state")
	if raw != "" {
		if d, err := g.parseHostState(raw, now); err == nil {
			return []appDecision{*d}, raw
		} else {
			g.log.Debug("ignoring host state", "err", errs.Code(err))
		}
	}
	return g.history(r, now), ""
}

func decisions(h []appDecision) []consent.Decision {
	out := make([]consent.Decision, len(h))
	for i, d := range h {
		out[i] = d.Decision
	}
	return out
}

// purposeView puts a purpose in the reader's language.
func purposeView(p consent.Purpose, l string) components.PurposeView {
	return components.PurposeView{
		ID:          string(p.ID),
		Title:       p.Title.In(l),
		Description: p.Description.In(l),
		SDK:         p.SDK.In(l),
		Collects:    p.Collects.In(l),
		Use:         p.Use.In(l),
		Recipient:   p.Recipient.In(l),
		PrivacyURL:  p.PrivacyURL,
		Clause:      p.Clause,
		Separate:    p.ConsentType == consent.SeparateConsent,
		Required:    p.Required,
	}
}

func privacyURL(l string) string { return "/privacy?lang=" + url.QueryEscape(l) }

// gateView builds the view of /consent for the person's history; ticked and
// adult are what they sent in a form that is shown again with an error.
func (g *appConsent) gateView(l string, history []appDecision, open bool, now time.Time) components.GateView {
	v := components.GateView{
		Lang:          l,
		Mode:          components.GateAsk,
		PolicyVersion: g.latest.Version(),
		PrivacyURL:    privacyURL(l),
		AgreementURL:  g.cfg.UserAgreementURL,
		SettingsURL:   "/settings/privacy?lang=" + url.QueryEscape(l),
	}
	req, _ := g.latest.Required(consent.SurfaceFirstLaunch)
	v.Required = purposeView(req, l)
	var asked []consent.PurposeID
	var cur *appDecision
	if len(history) > 0 {
		cur = &history[0]
		if acceptedCat, ok := g.cats[cur.PolicyVersion]; ok && cur.PolicyVersion < g.latest.Version() {
			asked = consent.Reask(&cur.Decision, acceptedCat, g.latest)
		}
	}
	prompt := g.latest.ShouldPrompt(decisions(history), now, open)
	switch {
	case cur == nil:
	case prompt && len(asked) > 0:
		v.Mode = components.GateReask
		v.AcceptedVersion = cur.PolicyVersion
	case prompt && open:
	default:
		v.Mode = components.GateCurrent
	}
	var acceptedCat *consent.Catalogue
	if cur != nil {
		acceptedCat = g.cats[cur.PolicyVersion]
		v.Decision = string(cur.Kind)
		v.DecidedAt = formatTime(cur.At)
	}
	for _, p := range g.latest.Purposes(consent.SurfaceFirstLaunch) {
		pv := purposeView(p, l)
		if v.Mode == components.GateReask {
			if !slices.Contains(asked, p.ID) {
				continue
			}
			pv.Changed = true
			_, existed := acceptedCat.Purpose(cur.Surface, p.ID)
			pv.New = !existed
			if p.Required {
				v.Required = pv
				continue
			}
		}
		if p.Required {
			continue
		}
		if v.Mode == components.GateCurrent {
			pv.Granted = cur.Granted(p.ID)
		}
		v.Optional = append(v.Optional, pv)
	}
	return v
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04") + " UTC"
}

func (s *Server) handleGate(g *appConsent, w http.ResponseWriter, r *http.Request) {
	l := s.readerLang(w, r)
	now := time.Now()
	history, host := g.current(r, now)
	v := g.gateView(l, history, r.URL.Query().Get("open") == "1", now)
	v.HostState = host
	v.Ticket = s.pageTicket(r)
	s.renderGate(w, r, http.StatusOK, v)
}

func (s *Server) renderGate(w http.ResponseWriter, r *http.Request, status int, v components.GateView) {
	loc := s.msgs.Localizer(v.Lang)
	title := loc.T("gate_title")
	if v.Mode == components.GateReask {
		title = loc.T("gate_reask_title")
	}
	page := views.Page{Lang: v.Lang, Title: title, Surface: "gate", State: v}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := views.Layout(page, loc).Render(templ.WithChildren(r.Context(), views.Gate(v, loc)), w); err != nil {
		s.log.Error("render gate", "err", err)
	}
}

// wantsJSON reports whether the wasm posted the form and wants the outcome
// as JSON, to show it in place and post the bridge message itself.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// gateOutcome is the JSON answer to a decision posted by the wasm.
type gateOutcome = components.Outcome[components.GateView]

// failRecord answers a decision whose receipt could not be made. Nothing
// was remembered, so the person can simply try again.
func (s *Server) failRecord(w http.ResponseWriter, r *http.Request, err error) {
	if code := errs.Code(err); code == errs.Internal {
		s.log.Error("recording a decision", "err", err)
	} else {
		s.log.Debug("decision refused", "code", code)
	}
	status := errStatus(err)
	if wantsJSON(r) {
		writeJSON(w, status, map[string]any{"error": map[string]string{"code": errs.Code(err), "message": errs.Message(err)}})
		return
	}
	http.Error(w, errs.Message(err), status)
}

func (s *Server) handleGatePost(g *appConsent, w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	l := s.readerLang(w, r)
	if fl, ok := lang.Normalize(r.PostForm.Get("lang")); ok {
		l = fl
	}
	history, host := g.current(r, now)
	var ticked []consent.PurposeID
	for _, id := range r.PostForm["purpose"] {
		if !slices.Contains(ticked, consent.PurposeID(id)) {
			ticked = append(ticked, consent.PurposeID(id))
		}
	}
	adult := r.PostForm.Get("adult") == "1"
	reask := r.PostForm.Get("mode") == components.GateReask

	fail := func(msgID string) {
		v := g.gateView(l, history, true, now)
		if !reask && v.Mode == components.GateReask {
			v = g.gateView(l, nil, true, now)
		}
		v.HostState, v.Adult, v.Error = host, adult, msgID
		v.Ticket = s.pageTicket(r)
		for i := range v.Optional {
			v.Optional[i].Granted = slices.Contains(ticked, consent.PurposeID(v.Optional[i].ID))
		}
		if wantsJSON(r) {
			writeJSON(w, http.StatusUnprocessableEntity, gateOutcome{View: v, Error: msgID})
			return
		}
		s.renderGate(w, r, http.StatusUnprocessableEntity, v)
	}

	var d consent.Decision
	var err error
	switch r.PostForm.Get("action") {
	case "decline":
		d, err = consent.Decline(g.latest, consent.SurfaceFirstLaunch, l, now)
	case "agree":
		if !adult {
			fail("gate_error_adult")
			return
		}
		if reask && len(history) > 0 && g.cats[history[0].PolicyVersion] != nil && history[0].PolicyVersion < g.latest.Version() {
			d, err = consent.Reagree(g.cats[history[0].PolicyVersion], g.latest, history[0].Decision, consent.SurfaceFirstLaunch, ticked, l, now)
		} else {
			d, err = consent.Agree(g.latest, consent.SurfaceFirstLaunch, ticked, l, now)
		}
		d.Confirmed = []string{consent.FactAge18} // adult=1, required above: the person confirmed policy §6's fact
	default:
		fail("gate_error_action")
		return
	}
	if err != nil {
		g.log.Debug("gate decision refused", "err", errs.Code(err))
		fail("gate_error_purpose")
		return
	}
	rec, order, c, err := s.record(g, w, r, d)
	if err != nil {
		s.failRecord(w, r, err)
		return
	}
	if wantsJSON(r) {
		v := g.doneView(l, rec)
		v.Ticket = s.ticketFor(c.Subject)
		writeJSON(w, http.StatusOK, gateOutcome{View: v, Receipt: order})
		return
	}
	http.Redirect(w, r, "/consent/done?lang="+url.QueryEscape(l)+"&r="+rec.ReceiptID, http.StatusSeeOther)
}

// record makes the receipt of a decision and remembers the decision in the
// cookie, newest first, whether or not a host app holds the state too: the
// next page the webview loads reads it from there. It gives the browser its
// subject credential (kc_sub) with the decision.
//
// The receipt is stored under the id of the ticket the page was rendered
// with, for the browser's subject (postCredential). When the wasm posted
// the decision and its device will sign the receipt (form field device=1),
// the server only remembers the id, and the answer carries what the outbox
// needs to build that receipt; otherwise the server attests it now.
func (s *Server) record(g *appConsent, w http.ResponseWriter, r *http.Request, d consent.Decision) (appDecision, *components.ReceiptOrder, postCredential, error) {
	history := g.history(r, d.At)
	c, err := s.postCredential(r.Context(), r)
	if err != nil {
		return appDecision{}, nil, c, err
	}
	rec := appDecision{Decision: d, ReceiptID: c.ReceiptID}
	var order *components.ReceiptOrder
	if deviceSigns(r) {
		if order, err = s.order(r.Context(), d, c); err != nil {
			return rec, nil, c, err
		}
		rec.Kind = order.Decision.Kind
	} else {
		if rec.ReceiptID, rec.Kind, err = s.recordDecision(r.Context(), d, c, false); err != nil {
			return rec, nil, c, err
		}
	}
	s.setSubject(w, r, c.Subject)
	g.setHistory(w, r, append([]appDecision{rec}, history...))
	return rec, order, c, nil
}

// deviceSigns tells whether the wasm posted a decision whose receipt this
// browser's device key will sign.
func deviceSigns(r *http.Request) bool {
	return wantsJSON(r) && r.PostForm.Get("device") == "1"
}

// bridgeMessage is the message for the host app about decision d.
func bridgeMessage(d appDecision) *components.BridgeMessage {
	m := &components.BridgeMessage{
		Type:          components.BridgeType,
		Decision:      string(d.Kind),
		PolicyVersion: d.PolicyVersion,
		Purposes:      map[string]bool{},
		ReceiptID:     d.ReceiptID,
	}
	for _, c := range d.Choices {
		m.Purposes[string(c.Purpose)] = c.Granted
	}
	return m
}

func (g *appConsent) doneView(l string, d appDecision) components.GateView {
	v := g.gateView(l, []appDecision{d}, false, d.At)
	v.Mode = components.GateDone
	v.Bridge = bridgeMessage(d)
	return v
}

// handleGateDone is the page after a decision posted without the wasm. It
// carries the bridge message only when ?r= names the newest decision, and
// bridge.js drops ?r= from the address once it has posted it, so a reload
// shows the result without sending the message again.
func (s *Server) handleGateDone(g *appConsent, w http.ResponseWriter, r *http.Request) {
	l := s.readerLang(w, r)
	now := time.Now()
	history := g.history(r, now)
	if len(history) == 0 {
		http.Redirect(w, r, "/consent?lang="+url.QueryEscape(l), http.StatusSeeOther)
		return
	}
	v := g.doneView(l, history[0])
	if r.URL.Query().Get("r") != history[0].ReceiptID {
		v.Bridge = nil
	}
	s.renderGate(w, r, http.StatusOK, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
