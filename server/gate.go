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
	"github.com/kaiconn/consent/cjk"
	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
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
}

func (s *Server) newAppConsent() *appConsent {
	return &appConsent{
		log:    s.log,
		cfg:    s.cfg,
		cats:   s.catalogues,
		latest: s.catalogues[s.policies.Latest().ID],
		policy: s.policies,
		key:    s.newCookieKeys(appConsentCookie),
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
	// The state is the last bridge message the host received, handed back
	// as it was: the one struct of that message (version 1 had no v and no
	// at).
	var st components.BridgeMessage
	if err := dec.Decode(&st); err != nil || dec.More() {
		return nil, errs.New(errs.Invalid, "state: not a consent state object")
	}
	if st.V < 0 || st.V > components.BridgeVersion {
		return nil, errs.New(errs.Invalid, "state: version %d", st.V)
	}
	if st.Type != "" && st.Type != components.BridgeType {
		return nil, errs.New(errs.Invalid, "state: type %q", st.Type)
	}
	if !slices.Contains(consent.Kinds, consent.Kind(st.Decision)) {
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
	d.Kind = consent.Kind(st.Decision)
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
	sensitive, location := p.FlaggedItems(l)
	necessity := ""
	switch {
	case !p.HasSensitive():
	case p.Necessity != nil:
		necessity = p.Necessity.Quote.Show(l)
	default:
		// An SDK purpose: its row's purpose of use says why (CheckPolicy).
		necessity = p.Use.Show(l)
	}
	return components.PurposeView{
		Sensitive:   sensitive,
		Location:    location,
		Necessity:   necessity,
		ID:          string(p.ID),
		Title:       p.Title.Show(l),
		Description: p.Description.Show(l),
		SDK:         p.SDK.Show(l),
		Collects:    p.Collects.Show(l),
		Use:         p.Use.Show(l),
		Recipient:   p.Recipient.Show(l),
		PrivacyURL:  p.PrivacyURL,
		Clause:      p.Clause,
		Separate:    p.ConsentType == consent.SeparateConsent,
		Required:    p.Required,
	}
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

// changedFacts returns the facts of p that differ from those of was, the
// same purpose in the version the person decided under, as was stated
// them; nil when none of them differ.
func changedFacts(p, was consent.Purpose, l string) *components.PurposeFacts {
	var f components.PurposeFacts
	if a := was.Collects.In(l); a != p.Collects.In(l) {
		f.Collects = a
		c := consent.CollectsChange(was, p, l)
		f.Added, f.Removed = c.Added, c.Removed
	}
	if a := was.Use.In(l); a != p.Use.In(l) {
		f.Use = a
	}
	if a := was.Recipient.In(l); a != p.Recipient.In(l) {
		f.Recipient = a
	}
	if f.Collects == "" && f.Use == "" && f.Recipient == "" {
		return nil
	}
	return &f
}

// gateView builds the view of /consent for the person's history.
func (g *appConsent) gateView(l string, history []appDecision, open bool, now time.Time) components.GateView {
	v := components.GateView{
		Lang:          l,
		Mode:          components.GateAsk,
		PolicyVersion: g.latest.Version(),
		PrivacyURL:    privacyURL(l),
		AgreementURL:  g.cfg.UserAgreementURL,
		SettingsURL:   "/settings/privacy?lang=" + url.QueryEscape(l),
		Contact:       g.contactView(g.latest.Version(), l),
	}
	if m, ok := g.latest.Minors(l); ok {
		v.Minors = m.Text
	}
	if q, ok := g.latest.SensitiveImpact(); ok {
		v.SensitiveImpact = q.Quote.Show(l)
		v.SensitiveURL = privacyURL(l) + "#" + q.Clause
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
		v.Current = map[string]bool{}
	case prompt && open:
		// The review link: the same question, starting from the answers
		// that stand, so that Agree alone changes nothing.
		v.Review = true
	default:
		v.Mode = components.GateCurrent
	}
	var acceptedCat *consent.Catalogue
	if cur != nil {
		acceptedCat = g.cats[cur.PolicyVersion]
		v.Decision = string(cur.Kind)
		v.DecidedAt = gateTime(cur.At, l)
	}
	for _, p := range g.latest.Purposes(consent.SurfaceFirstLaunch) {
		v.Purposes = append(v.Purposes, string(p.ID))
		pv := purposeView(p, l)
		if !p.Required {
			v.AllOptional = append(v.AllOptional, pv)
		}
		if v.Mode == components.GateReask {
			if !slices.Contains(asked, p.ID) {
				if !p.Required {
					v.Current[string(p.ID)] = cur.Granted(p.ID)
					if cur.Granted(p.ID) {
						v.Kept = append(v.Kept, pv.Title)
					}
				}
				continue
			}
			pv.Changed = true
			was, existed := acceptedCat.Purpose(cur.Surface, p.ID)
			pv.New = !existed
			if existed {
				pv.Was = changedFacts(p, was, l)
				// consent.Reask asks a changed purpose again only when it
				// was granted: its switch starts from that answer.
				pv.WasGranted = !p.Required && cur.Granted(p.ID)
				pv.Granted = pv.WasGranted
			}
			if p.Required {
				v.Required = pv
				continue
			}
		}
		if p.Required {
			continue
		}
		if v.Mode == components.GateCurrent || v.Review {
			pv.Granted = cur.Granted(p.ID)
		}
		v.Optional = append(v.Optional, pv)
	}
	return v
}

// gateTime shows a decision time to a reader of l as every surface does
// (components.LocalTime): Chinese readers in Beijing time, as 2026年11月29日
// 20:30（北京时间）, others in UTC.
func gateTime(t time.Time, l string) string {
	if t.IsZero() {
		return ""
	}
	return components.LocalTime(components.Instant(t), l)
}

func (s *Server) handleGate(g *appConsent, w http.ResponseWriter, r *http.Request) {
	l := s.readerLang(w, r)
	now := time.Now()
	history, host := g.current(r, now)
	v := g.gateView(l, history, r.URL.Query().Get("open") == "1", now)
	v.HostState = host
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
	title := loc.T("gate_title")
	switch v.Mode {
	case components.GateReask:
		title = loc.T("gate_reask_title")
	case components.GateDone:
		title = loc.T("gate_done_" + v.Decision)
	}
	// The gate loads no wasm: gate.js takes a decision without it, so
	// the page carries no #kc-state either.
	page := views.Page{Lang: v.Lang, Title: title, Surface: "gate", NoWasm: true}
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
func bridgeMessage(d appDecision) *components.BridgeMessage {
	m := &components.BridgeMessage{
		V:             components.BridgeVersion,
		Type:          components.BridgeType,
		Decision:      string(d.Kind),
		PolicyVersion: d.PolicyVersion,
		Purposes:      map[string]bool{},
		ReceiptID:     d.ReceiptID,
		At:            d.At.UTC().Format(components.BridgeTime),
	}
	for _, c := range d.Choices {
		m.Purposes[string(c.Purpose)] = c.Granted
	}
	return m
}

// doneView is the result of decision d: what is on, what stays off.
func (g *appConsent) doneView(l string, d appDecision) components.GateView {
	v := g.gateView(l, []appDecision{d}, false, d.At)
	v.Mode = components.GateDone
	v.Bridge = bridgeMessage(d)
	v.Optional, v.Off = nil, nil
	for _, p := range g.latest.Purposes(consent.SurfaceFirstLaunch) {
		if p.Required {
			continue
		}
		pv := purposeView(p, l)
		if pv.Granted = d.Granted(p.ID); pv.Granted {
			v.Optional = append(v.Optional, pv)
		} else {
			v.Off = append(v.Off, pv)
		}
	}
	return v
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
