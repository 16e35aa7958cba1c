package appconsent

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

// App is what the first-launch gate and the privacy settings share: the
// catalogue of every policy version (a cookie or a host app may hold a
// decision made under an older one) and the latest, which is asked about.
type App struct {
	d      Deps
	log    *slog.Logger
	cats   map[string]*consent.Catalogue
	latest *consent.Catalogue
	policy *policy.Library
	key    Key // signs the decision cookie
	// catalogues are the catalogues as JSON, for the pages rendered without
	// state, when they are not those the wasm was built with
	// (consentview.Shipped): a server given other catalogues, such as a
	// newer policy, hands them to the wasm. nil when the wasm has them.
	catalogues json.RawMessage
}

// New prepares the gate and the settings over d, asking about the latest
// policy version of d.Policies.
func New(d Deps) *App {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	g := &App{
		d:      d,
		log:    d.Log,
		cats:   d.Catalogues,
		latest: d.Catalogues[d.Policies.Latest().ID],
		policy: d.Policies,
		key:    d.Key,
	}
	g.catalogues = g.cataloguesForWasm()
	return g
}

// Under is a copy of g that asks about cat instead of the latest version:
// the bundle's order endpoint applies the gate's rules under the version
// the bundle showed.
func (g *App) Under(cat *consent.Catalogue) *App {
	c := *g
	c.latest = cat
	return &c
}

// cataloguesForWasm is g's catalogues as JSON when the wasm's own
// (consentview.Shipped) are not the same, nil when they are.
func (g *App) cataloguesForWasm() json.RawMessage {
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

// Mount serves the gate (/consent, /consent/done) and the privacy
// settings (/settings/privacy) on r.
func (g *App) Mount(r chi.Router) {
	r.Get("/consent", withForm(g.handleGate))
	r.Method(http.MethodPost, "/consent", g.d.Protect(withForm(g.handleGatePost)))
	r.Get("/consent/done", withForm(g.handleGateDone))
	g.mountSettings(r)
}

// withForm reads a posted form, bounded in size. Where a decision may be
// posted from is the form guard's to check (Deps.Protect).
func withForm(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
			if err := r.ParseForm(); err != nil {
				http.Error(w, "form: unreadable", http.StatusBadRequest)
				return
			}
		}
		h(w, r)
	}
}

// parseHostState decodes ?state= strictly (consentview.ParseHostState,
// which the wasm runs too); anything else is ignored as a whole.
func (g *App) parseHostState(v string, now time.Time) (*Decision, error) {
	return g.views().ParseHostState(v, now)
}

// current returns the person's decision history, newest first: the host
// app's state when it handed one over (the host is the authority in the
// app), else the cookie. hostRaw is the state as received, to be carried
// through forms.
func (g *App) current(r *http.Request, now time.Time) (history []Decision, hostRaw string) {
	raw := r.FormValue("state")
	if raw != "" {
		if d, err := g.parseHostState(raw, now); err == nil {
			return []Decision{*d}, raw
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

func (g *App) contactView(version, l string) *components.ContactView {
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
func (g *App) views() *consentview.Catalogues {
	return &consentview.Catalogues{ByVersion: g.cats, Latest: g.latest}
}

// gatePage is what the gate links to in language l, and the contact block
// of the version it asks about.
func (g *App) gatePage(l string) consentview.GatePage {
	return consentview.GatePage{
		PrivacyURL:   privacyURL(l),
		AgreementURL: g.d.AgreementURL,
		SettingsURL:  "/settings/privacy?lang=" + url.QueryEscape(l),
		Contact:      g.contactView(g.latest.Version(), l),
	}
}

// gateView builds the view of /consent for the person's history
// (consentview.Catalogues.Gate).
func (g *App) gateView(l string, history []Decision, open bool, now time.Time) components.GateView {
	return g.views().Gate(l, g.gatePage(l), history, open, now)
}

func (g *App) handleGate(w http.ResponseWriter, r *http.Request) {
	l := g.d.Lang(w, r)
	now := g.d.Now()
	history, host := g.current(r, now)
	v := g.gateView(l, history, r.URL.Query().Get("open") == "1", now)
	v.HostState = host
	if len(history) == 0 {
		v.RenderedFor = consentview.RenderedNone
	}
	g.withTicket(r, &v)
	g.renderGate(w, r, http.StatusOK, v)
}

// withTicket gives an asking page the ticket its decision is recorded
// under, and its receipt id, which gate.js names in the bridge message.
func (g *App) withTicket(r *http.Request, v *components.GateView) {
	if v.Mode != components.GateAsk && v.Mode != components.GateReask {
		return
	}
	v.Ticket = g.d.PageTicket(r)
	if tk, err := credential.PeekTicket(v.Ticket); err == nil {
		v.ReceiptID = tk.ReceiptID
	}
}

func (g *App) renderGate(w http.ResponseWriter, r *http.Request, status int, v components.GateView) {
	loc := g.d.Msgs.Localizer(v.Lang)
	// gate.js takes a decision without the wasm. Only a page rendered
	// without any state loads it (boot.js, when the host hands a state
	// over), with its view as #kc-state, from which the wasm renders the
	// view of the host's state.
	page := views.Page{Lang: v.Lang, Title: loc.T(v.TitleID()), Surface: "gate", NoWasm: v.RenderedFor == "", Styles: []string{"gate.css"}}
	if v.RenderedFor != "" {
		v.Strings = loc.Messages(components.GateMessages...)
		v.Catalogues = g.catalogues
		page.State = v.PageData()
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := views.Layout(page, loc).Render(templ.WithChildren(r.Context(), views.Gate(v, loc)), w); err != nil {
		g.log.Error("render gate", "err", err)
	}
}

// gateOutcome is the JSON answer to a decision posted by a script.
type gateOutcome = components.Outcome[components.GateView]

// gateDecision is the decision a gate form asks for under the person's
// history: the gate's one rule (consentview.Catalogues.GateDecision), which
// also resolves the kinds gate.js puts in the bridge message at the tap.
func (g *App) gateDecision(form url.Values, history []Decision, l string, now time.Time) (consent.Decision, string) {
	f := consentview.GateForm{
		Action: form.Get("action"),
		Reask:  form.Get("mode") == components.GateReask,
		Adult:  form.Get("adult") == "1",
	}
	for _, id := range form["purpose"] {
		if !slices.Contains(f.Ticked, consent.PurposeID(id)) {
			f.Ticked = append(f.Ticked, consent.PurposeID(id))
		}
	}
	d, failure, err := g.views().GateDecision(f, history, l, now)
	if err != nil {
		g.log.Debug("gate decision refused", "err", errs.Code(err))
	}
	return d, failure
}

func (g *App) handleGatePost(w http.ResponseWriter, r *http.Request) {
	now := g.d.Now()
	l := g.d.Lang(w, r)
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
		g.withTicket(r, &v)
		for i := range v.Optional {
			v.Optional[i].Granted = slices.Contains(r.PostForm["purpose"], v.Optional[i].ID)
		}
		if g.d.WantsJSON(r) {
			g.d.WriteJSON(w, http.StatusUnprocessableEntity, gateOutcome{View: v, Error: failure})
			return
		}
		g.renderGate(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	rec, order, c, err := g.record(w, r, d)
	if err != nil {
		g.d.WriteError(w, r, err)
		return
	}
	if g.d.WantsJSON(r) {
		v := g.doneView(l, rec)
		v.Ticket = g.d.TicketFor(c.Subject)
		g.d.WriteJSON(w, http.StatusOK, gateOutcome{View: v, Receipt: orderJSON(order)})
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
// with, for the browser's subject (Deps.PostCredential). When the page posted
// the decision's time (field "at", Unix ms: gate.js, which may post long
// after the tap), the decision is dated then, within what the server
// knows to be true (recorder.DecidedAt). When the wasm posted the decision and its
// device will sign the receipt (form field device=1), the server only
// remembers the id, and the answer carries what the outbox needs to build
// that receipt; otherwise the server attests it now.
func (g *App) record(w http.ResponseWriter, r *http.Request, d consent.Decision) (Decision, *consentreceipt.Order, recorder.Credential, error) {
	history := g.history(r, d.At)
	switch stored, ok, err := g.d.Resent(r, d); {
	case err != nil:
		return Decision{}, nil, recorder.Credential{}, err
	case ok:
		// The page was posted before (gate.js resends until acknowledged,
		// a form may be sent twice): answered as the first post was.
		d.Kind, d.At = consent.Kind(stored.Decision), stored.IssuedAt.UTC()
		rec := Decision{Decision: d, ReceiptID: stored.ID}
		if len(history) == 0 || history[0].ReceiptID != stored.ID {
			g.setHistory(w, r, append([]Decision{rec}, history...))
		}
		return rec, nil, g.replayCredential(r), nil
	}
	c, err := g.d.PostCredential(r.Context(), r)
	if err != nil {
		return Decision{}, nil, c, err
	}
	if !c.ShownAt.IsZero() {
		d.At = recorder.DecidedAt(r.PostForm.Get("at"), c.ShownAt, d.At)
	}
	rec := Decision{Decision: d, ReceiptID: c.ReceiptID}
	var order *consentreceipt.Order
	if g.deviceSigns(r) {
		if c, err = g.d.ForDevice(r.Context(), c); err != nil {
			return rec, nil, c, err
		}
		rec.ReceiptID = c.ReceiptID
		if order, rec.Kind, err = g.d.Order(r.Context(), d, c); err != nil {
			return rec, nil, c, err
		}
	} else {
		if rec.ReceiptID, rec.Kind, err = g.d.Record(r.Context(), d, &c, false); err != nil {
			return rec, nil, c, err
		}
	}
	if c.Replay {
		c = g.replayCredential(r)
	} else {
		g.d.SetSubject(w, r, c.Subject)
	}
	g.setHistory(w, r, append([]Decision{rec}, history...))
	return rec, order, c, nil
}

// replayCredential is what a post answered from a receipt stored before
// goes on with: the browser's own subject, or a fresh one, never the
// stored receipt's, which a ticket in a page must not hand out.
func (g *App) replayCredential(r *http.Request) recorder.Credential {
	subject := g.d.CookieSubject(r)
	if subject == "" {
		subject = receipt.NewSubject()
	}
	return recorder.Credential{Subject: subject, Replay: true}
}

// deviceSigns tells whether the wasm posted a decision whose receipt this
// browser's device key will sign.
func (g *App) deviceSigns(r *http.Request) bool {
	return g.d.WantsJSON(r) && r.PostForm.Get("device") == "1"
}

// bridgeMessage is the message for the host app about decision d
// (docs/bridge.md, version 2).
func bridgeMessage(d Decision) *components.BridgeMessage { return consentview.Bridge(d) }

// doneView is the result of decision d: what is on, what stays off.
func (g *App) doneView(l string, d Decision) components.GateView {
	return g.views().Done(l, g.gatePage(l), d)
}

// handleGateDone is the page after a decision posted without script. It
// carries the bridge message only when ?r= names the newest decision, and
// bridge.js drops ?r= from the address once it has posted it, so a reload
// shows the result without sending the message again.
func (g *App) handleGateDone(w http.ResponseWriter, r *http.Request) {
	l := g.d.Lang(w, r)
	now := g.d.Now()
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
	g.renderGate(w, r, http.StatusOK, v)
}

// orderJSON is o as the JSON answer to a post carries it (Outcome.Receipt),
// nil for none.
func orderJSON(o *consentreceipt.Order) json.RawMessage {
	if o == nil {
		return nil
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil // an Order is strings and JCS bytes: it always marshals
	}
	return b
}

// Current is the person's decision history, newest first, and the host
// app's state as received: what the gate reads, for the other pages that
// show what the person decided (package documents).
func (g *App) Current(r *http.Request, now time.Time) ([]Decision, string) {
	return g.current(r, now)
}

// ParseHostState decodes a host app's ?state= strictly, as the gate does.
func (g *App) ParseHostState(v string, now time.Time) (*Decision, error) {
	return g.parseHostState(v, now)
}

// GateDecision is the decision a gate form asks for under history, or the
// message id of why it is refused (the bundle's order endpoint applies the
// gate's own rule).
func (g *App) GateDecision(form url.Values, history []Decision, l string, now time.Time) (consent.Decision, string) {
	return g.gateDecision(form, history, l, now)
}

// Views is the catalogues as package consentview computes the gate and the
// settings from them.
func (g *App) Views() *consentview.Catalogues { return g.views() }

// DecodeCookie parses a kc_app_consent value strictly: the decisions it
// holds, newest first, or an error for anything this server would not
// have written.
func (g *App) DecodeCookie(value string, now time.Time) ([]Decision, error) {
	return g.decodeRecord(value, now)
}
