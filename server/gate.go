package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/cjk"
	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
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
	key    cookieKeys // signs the decision cookie
	// secure tells whether the browser reached us over TLS (Server.isHTTPS).
	secure func(*http.Request) bool
	// catalogues are the catalogues as JSON, for the pages rendered without
	// state, when they are not those the wasm was built with
	// (consentview.Shipped): a server given other catalogues, such as a
	// newer policy, hands them to the wasm. nil when the wasm has them.
	catalogues json.RawMessage
}

func (s *Server) newAppConsent() *appConsent {
	g := &appConsent{
		log:    s.log,
		cfg:    s.cfg,
		cats:   s.catalogues,
		latest: s.catalogues[s.policies.Latest().ID],
		policy: s.policies,
		key:    s.newCookieKeys(appConsentCookie),
		secure: s.isHTTPS,
	}
	g.catalogues = g.cataloguesForWasm()
	return g
}

// cataloguesForWasm is g's catalogues as JSON when the wasm's own
// (consentview.Shipped) are not the same, nil when they are.
func (g *appConsent) cataloguesForWasm() json.RawMessage {
	if g.latest == nil {
		return nil
	}
	mine, err := json.Marshal(g.views())
	if err != nil {
		g.log.Error("catalogues as JSON", "err", err)
		return nil
	}
	if shipped, err := consentview.Shipped(); err == nil {
		if theirs, err := json.Marshal(shipped); err == nil && bytes.Equal(mine, theirs) {
			return nil
		}
	}
	return mine
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

// parseHostState decodes ?state= strictly (consentview.ParseHostState,
// which the wasm runs too); anything else is ignored as a whole.
func (g *appConsent) parseHostState(v string, now time.Time) (*appDecision, error) {
	return g.views().ParseHostState(v, now)
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

func privacyURL(l string) string { return "/privacy?lang=" + url.QueryEscape(l) }

// contactView is the policy's contact block in l; nil when the version
// has none in l (policy.Load refuses such a policy, so only a library
// built in code lacks it).
// shownContact is the policy's contact block as a page in language l shows
// it: Chinese with full-width punctuation.
func shownContact(c policy.ContactDetails, l string) policy.ContactDetails {
	if strings.HasPrefix(l, "zh") {
		c.Address, c.Reply = cjk.Punctuate(c.Address), cjk.Punctuate(c.Reply)
	}
	return c
}

func (g *appConsent) contactView(version, l string) *components.ContactView {
	v, ok := g.policy.Version(version)
	if !ok {
		return nil
	}
	c, err := v.Contact(l)
	if err != nil {
		g.log.Error("policy contact block", "err", err)
		return nil
	}
	c = shownContact(c, l)
	return &components.ContactView{Title: c.Title, Email: c.Email, Phone: c.Phone, Tel: c.Tel, Address: c.Address, Reply: c.Reply,
		URL: "/privacy?lang=" + url.QueryEscape(l) + "#" + c.Clause}
}

// views is the catalogues as package consentview computes the gate and
// the settings from them, the wasm's computation being the same.
func (g *appConsent) views() *consentview.Catalogues {
	return &consentview.Catalogues{ByVersion: g.cats, Latest: g.latest}
}

// gatePage is what the gate links to in language l, and the contact block
// of the version it asks about.
func (g *appConsent) gatePage(l string) consentview.GatePage {
	return consentview.GatePage{
		PrivacyURL:   privacyURL(l),
		AgreementURL: g.cfg.UserAgreementURL,
		SettingsURL:  "/settings/privacy?lang=" + url.QueryEscape(l),
		Contact:      g.contactView(g.latest.Version(), l),
	}
}

// gateView builds the view of /consent for the person's history
// (consentview.Catalogues.Gate).
func (g *appConsent) gateView(l string, history []appDecision, open bool, now time.Time) components.GateView {
	return g.views().Gate(l, g.gatePage(l), history, open, now)
}

func (s *Server) handleGate(g *appConsent, w http.ResponseWriter, r *http.Request) {
	l := s.readerLang(w, r)
	now := time.Now()
	history, host := g.current(r, now)
	v := g.gateView(l, history, r.URL.Query().Get("open") == "1", now)
	v.HostState = host
	if len(history) == 0 {
		v.RenderedFor = consentview.RenderedNone
	}
	s.withTicket(r, &v)
	s.renderGate(w, r, http.StatusOK, v)
}

// withTicket gives an asking page the ticket its decision is recorded
// under, and its receipt id, which gate.js names in the bridge message.
func (s *Server) withTicket(r *http.Request, v *components.GateView) {
	if v.Mode != components.GateAsk && v.Mode != components.GateReask {
		return
	}
	v.Ticket = s.pageTicket(r)
	if tk, err := credential.PeekTicket(v.Ticket); err == nil {
		v.ReceiptID = tk.ReceiptID
	}
}

func (s *Server) renderGate(w http.ResponseWriter, r *http.Request, status int, v components.GateView) {
	loc := s.msgs.Localizer(v.Lang)
	// gate.js takes a decision without the wasm. Only a page rendered
	// without any state loads it (boot.js, when the host hands a state
	// over), with its view as #kc-state, from which the wasm renders the
	// view of the host's state.
	page := views.Page{Lang: v.Lang, Title: loc.T(v.TitleID()), Surface: "gate", NoWasm: v.RenderedFor == ""}
	if v.RenderedFor != "" {
		v.Strings = loc.Messages(components.GateMessages...)
		v.Catalogues = s.app.catalogues
		page.State = v.PageData()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := views.Layout(page, loc).Render(templ.WithChildren(r.Context(), views.Gate(v, loc)), w); err != nil {
		s.log.Error("render gate", "err", err)
	}
}

// gateOutcome is the JSON answer to a decision posted by a script.
type gateOutcome = components.Outcome[components.GateView]

// gateDecision is the decision a gate form asks for, under the person's
// history: on a re-ask (mode=reask, and the newest decision is under an
// older version) only the purposes asked again change, whichever button
// was pressed; otherwise Agree grants exactly the ticked purposes and
// Disagree refuses every optional one. A re-ask does not ask 18+ again:
// the person confirmed it when they first agreed.
func (g *appConsent) gateDecision(form url.Values, history []appDecision, l string, now time.Time) (consent.Decision, string) {
	var ticked []consent.PurposeID
	for _, id := range form["purpose"] {
		if !slices.Contains(ticked, consent.PurposeID(id)) {
			ticked = append(ticked, consent.PurposeID(id))
		}
	}
	adult := form.Get("adult") == "1"
	var prev *appDecision
	var prevCat *consent.Catalogue
	if form.Get("mode") == components.GateReask && len(history) > 0 {
		if c, ok := g.cats[history[0].PolicyVersion]; ok && history[0].PolicyVersion < g.latest.Version() {
			prev, prevCat = &history[0], c
		}
	}
	var d consent.Decision
	var err error
	switch action := form.Get("action"); {
	case action == "decline" && prev != nil:
		// Disagree refuses what is asked again and keeps every other
		// answer, as the re-ask says. It turns nothing on, so it is a
		// withdrawal when something stays on, a decline otherwise.
		if d, err = consent.Reagree(prevCat, g.latest, prev.Decision, consent.SurfaceFirstLaunch, nil, l, now); err == nil {
			d.Kind = refusalKind(d)
		}
	case action == "decline":
		d, err = consent.Decline(g.latest, consent.SurfaceFirstLaunch, l, now)
	case action == "agree" && prev != nil:
		d, err = consent.Reagree(prevCat, g.latest, prev.Decision, consent.SurfaceFirstLaunch, ticked, l, now)
	case action == "agree":
		if !adult {
			return d, "gate_error_adult"
		}
		d, err = consent.Agree(g.latest, consent.SurfaceFirstLaunch, ticked, l, now)
		d.Confirmed = []string{consent.FactAge18} // adult=1, required above: the person confirmed policy §6's fact
	default:
		return d, "gate_error_action"
	}
	if err != nil {
		g.log.Debug("gate decision refused", "err", errs.Code(err))
		return d, "gate_error_purpose"
	}
	return d, ""
}

// refusalKind is the kind of a Disagree that leaves d's grants: declined
// when no optional purpose stays on, withdrawn otherwise (a receipt of a
// decline gives no optional purpose).
func refusalKind(d consent.Decision) consent.Kind {
	for _, c := range d.Choices {
		if c.Granted && !c.Required {
			return consent.KindWithdrawn
		}
	}
	return consent.KindDeclined
}

func (s *Server) handleGatePost(g *appConsent, w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	l := s.readerLang(w, r)
	if fl, ok := lang.Normalize(r.PostForm.Get("lang")); ok {
		l = fl
	}
	history, host := g.current(r, now)
	d, failure := g.gateDecision(r.PostForm, history, l, now)
	if failure != "" {
		reask := r.PostForm.Get("mode") == components.GateReask
		v := g.gateView(l, history, true, now)
		if !reask && v.Mode == components.GateReask {
			v = g.gateView(l, nil, true, now)
		}
		v.HostState, v.Adult, v.Error = host, r.PostForm.Get("adult") == "1", failure
		s.withTicket(r, &v)
		for i := range v.Optional {
			v.Optional[i].Granted = slices.Contains(r.PostForm["purpose"], v.Optional[i].ID)
		}
		if wantsJSON(r) {
			writeJSON(w, http.StatusUnprocessableEntity, gateOutcome{View: v, Error: failure})
			return
		}
		s.renderGate(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	rec, order, c, err := s.record(g, w, r, d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if wantsJSON(r) {
		v := g.doneView(l, rec)
		v.Ticket = s.ticketFor(c.Subject)
		writeJSON(w, http.StatusOK, gateOutcome{View: v, Receipt: orderJSON(order)})
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
// with, for the browser's subject (postCredential). When the page posted
// the decision's time (field "at", Unix ms: gate.js, which may post long
// after the tap), the decision is dated then, within what the server
// knows to be true (decidedAt). When the wasm posted the decision and its
// device will sign the receipt (form field device=1), the server only
// remembers the id, and the answer carries what the outbox needs to build
// that receipt; otherwise the server attests it now.
func (s *Server) record(g *appConsent, w http.ResponseWriter, r *http.Request, d consent.Decision) (appDecision, *consentreceipt.Order, recorder.Credential, error) {
	history := g.history(r, d.At)
	switch stored, ok, err := s.resent(r, d); {
	case err != nil:
		return appDecision{}, nil, recorder.Credential{}, err
	case ok:
		// The page was posted before (gate.js resends until acknowledged,
		// a form may be sent twice): answered as the first post was.
		d.Kind, d.At = consent.Kind(stored.Decision), stored.IssuedAt.UTC()
		rec := appDecision{Decision: d, ReceiptID: stored.ID}
		if len(history) == 0 || history[0].ReceiptID != stored.ID {
			g.setHistory(w, r, append([]appDecision{rec}, history...))
		}
		return rec, nil, s.replayCredential(r), nil
	}
	c, err := s.postCredential(r.Context(), r)
	if err != nil {
		return appDecision{}, nil, c, err
	}
	if !c.ShownAt.IsZero() {
		d.At = decidedAt(r.PostForm.Get("at"), c.ShownAt, d.At)
	}
	rec := appDecision{Decision: d, ReceiptID: c.ReceiptID}
	var order *consentreceipt.Order
	if deviceSigns(r) {
		if c, err = s.forDevice(r.Context(), c); err != nil {
			return rec, nil, c, err
		}
		rec.ReceiptID = c.ReceiptID
		if order, rec.Kind, err = s.recorder.Order(r.Context(), d, c); err != nil {
			return rec, nil, c, err
		}
	} else {
		if rec.ReceiptID, rec.Kind, err = s.recorder.Decision(r.Context(), d, &c, false); err != nil {
			return rec, nil, c, err
		}
	}
	if c.Replay {
		c = s.replayCredential(r)
	} else {
		s.setSubject(w, r, c.Subject)
	}
	g.setHistory(w, r, append([]appDecision{rec}, history...))
	return rec, order, c, nil
}

// replayCredential is what a post answered from a receipt stored before
// goes on with: the browser's own subject, or a fresh one, never the
// stored receipt's, which a ticket in a page must not hand out.
func (s *Server) replayCredential(r *http.Request) recorder.Credential {
	subject := s.cookieSubject(r)
	if subject == "" {
		subject = receipt.NewSubject()
	}
	return recorder.Credential{Subject: subject, Replay: true}
}

// deviceSigns tells whether the wasm posted a decision whose receipt this
// browser's device key will sign.
func deviceSigns(r *http.Request) bool {
	return wantsJSON(r) && r.PostForm.Get("device") == "1"
}

// bridgeMessage is the message for the host app about decision d
// (docs/bridge.md, version 2).
func bridgeMessage(d appDecision) *components.BridgeMessage { return consentview.Bridge(d) }

// doneView is the result of decision d: what is on, what stays off.
func (g *appConsent) doneView(l string, d appDecision) components.GateView {
	return g.views().Done(l, g.gatePage(l), d)
}

// handleGateDone is the page after a decision posted without script. It
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
		v.ReceiptID = history[0].ReceiptID
	} else {
		v.ReceiptID = v.Bridge.ReceiptID
	}
	s.renderGate(w, r, http.StatusOK, v)
}
