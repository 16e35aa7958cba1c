package components

import (
	"errors"
	"net/url"
	"slices"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/outbox"

	"github.com/kaiconn/consent/lang"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// browser is what the gate and the settings need from the page beyond
// rendering: posting a form, handing a message to the host app, reading
// what the person did before the wasm arrived, keeping focus in the
// dialog. gate_wasm.go implements it; on the host it is a fake, so the
// logic around it runs in tests.
type browser interface {
	// postForm posts form to path asking for JSON, and calls done on the UI
	// goroutine with the status and body (or err when nothing came back).
	postForm(path string, form url.Values, done func(status int, body []byte, err error))
	// deliver hands a decision to the host app once (bridge.js).
	deliver(m BridgeMessage)
	// formState reads the server-rendered form as the person left it.
	formState(formID string) (ticked []string, adult bool, ok bool)
	// trapFocus keeps Tab and Shift+Tab inside the element with id until
	// release is called.
	trapFocus(id string) (release func())
	focus(id string)
	// activeID is the id of the focused element, "" when none has one.
	activeID() string
	// detailsOpen reports whether the <details> with id is open.
	detailsOpen(id string) bool
	// saveFile offers data to the person as a download named name.
	saveFile(name, mime string, data []byte)
	// deviceReceipts reports whether this browser can sign and keep its
	// own receipts (outbox.Supported).
	deviceReceipts() bool
}

// Gate enhances /consent: Agree stays unavailable (and says why) until the
// 18+ box is ticked, focus stays in the dialog, and a decision is posted
// without a reload, the wasm delivering the bridge message itself.
type Gate struct {
	app.Compo

	view    GateView
	ticked  []string
	adult   bool
	open    bool
	busy    bool
	loaded  bool
	release func()
	// focused is where the person was on the server-rendered page when
	// the wasm took over; focus goes back there.
	focused string
}

func (g *Gate) OnInit() {
	if app.IsClient {
		if err := readState(&g.view); err == nil {
			g.loaded = true
			g.adult = g.view.Adult
			g.open = g.view.Mode == GateReask || g.view.Error != ""
			for _, p := range g.view.Optional {
				if p.Granted && g.view.Mode != GateCurrent {
					g.ticked = append(g.ticked, p.ID)
				}
			}
			// The person may have ticked boxes in the server-rendered
			// form while the wasm loaded; keep what they did.
			if ticked, adult, ok := web.formState("kc-gate-form"); ok {
				g.ticked, g.adult = ticked, adult
			}
			g.focused = web.activeID()
			g.open = g.open || web.detailsOpen("kc-gate-choices")
		}
	}
}

func (g *Gate) OnMount(ctx app.Context) {
	enhanced()
	startOutbox(ctx)
	g.release = web.trapFocus("kc-gate-dialog")
	if g.focused != "" {
		web.focus(g.focused)
	}
}

func (g *Gate) OnDismount() {
	if g.release != nil {
		g.release()
	}
}

func (g *Gate) loc() *lang.Localizer {
	l := g.view.Lang
	if !lang.Valid(l) {
		l = lang.Default
	}
	return lang.DefaultBundle().Localizer(l)
}

// Toggle records a tick or untick of an optional purpose.
func (g *Gate) Toggle(id string, on bool) {
	g.ticked = slices.DeleteFunc(g.ticked, func(s string) bool { return s == id })
	if on {
		g.ticked = append(g.ticked, id)
	}
}

// Form is what a decision posts: the same fields as the server-rendered
// form (the page's ticket among them), so the server has one way to read a
// decision; and device=1 where this browser signs and keeps its own
// receipts, so the server leaves the receipt to the device.
func (g *Gate) Form(action string) url.Values {
	f := url.Values{"lang": {g.view.Lang}, "mode": {g.view.Mode}, "action": {action}}
	if g.view.HostState != "" {
		f.Set("state", g.view.HostState)
	}
	if g.view.Ticket != "" {
		f.Set("ticket", g.view.Ticket)
	}
	if web.deviceReceipts() {
		f.Set("device", "1")
	}
	if g.adult {
		f.Set("adult", "1")
	}
	for _, p := range g.view.Optional {
		if slices.Contains(g.ticked, p.ID) {
			f.Add("purpose", p.ID)
		}
	}
	return f
}

// CanAgree reports whether Agree is available: only with the 18+
// confirmation (privacy policy, section 6).
func (g *Gate) CanAgree() bool { return g.adult }

// Decide posts a decision. Agree without the 18+ confirmation posts
// nothing: it shows why and moves focus to the box.
func (g *Gate) Decide(ctx app.Context, action string) {
	if g.busy {
		return
	}
	if action == "agree" && !g.CanAgree() {
		g.view.Error = "gate_error_adult"
		web.focus("kc-adult")
		return
	}
	g.busy = true
	form := g.Form(action)
	web.postForm("/consent", form, func(status int, body []byte, err error) {
		ctx.Dispatch(func(ctx app.Context) {
			order := g.Outcome(status, body, err)
			if errors.Is(err, errNoResponse) {
				// Offline: the decision is the person's to make all the
				// same. It is taken here, handed to the host app, and its
				// receipt waits in the outbox for the network.
				order = g.DecideOffline(action, time.Now())
			}
			recordOrder(ctx, order)
		})
	})
}

// Outcome applies the server's answer to a posted decision and returns the
// receipt the device is to sign, nil when there is none.
func (g *Gate) Outcome(status int, body []byte, err error) *ReceiptOrder {
	g.busy = false
	out, ok := readOutcome[GateView](status, body, err)
	if !ok {
		g.view.Error = "gate_error_network"
		return nil
	}
	hostState := g.view.HostState
	g.view = out.View
	if status == 422 {
		g.view.HostState = hostState
		g.view.Error = out.Error
		g.open = true
		return nil
	}
	if g.view.Bridge != nil {
		web.deliver(*g.view.Bridge)
	}
	web.focus("kc-gate-title")
	return out.Receipt
}

// DecideOffline takes a decision without the server, from the catalogue the
// wasm carries, and returns its receipt order; nil when it cannot (a policy
// version the wasm does not carry, or a re-ask, which needs the accepted
// decision the server holds). The page shows the result and the host app
// gets its message as online; the cookie is not set, as the host app hands
// its state back on the next launch.
func (g *Gate) DecideOffline(action string, now time.Time) *ReceiptOrder {
	if g.view.Mode != GateAsk || (action == "agree" && !g.CanAgree()) {
		return nil
	}
	cat, err := consent.LoadCatalogue(catalogue.FS, g.view.PolicyVersion)
	if err != nil {
		return nil
	}
	var d consent.Decision
	switch action {
	case "agree":
		ticked := make([]consent.PurposeID, len(g.ticked))
		for i, id := range g.ticked {
			ticked[i] = consent.PurposeID(id)
		}
		d, err = consent.Agree(cat, consent.SurfaceFirstLaunch, ticked, g.view.Lang, now)
	case "decline":
		d, err = consent.Decline(cat, consent.SurfaceFirstLaunch, g.view.Lang, now)
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	lib, err := embeddedPolicies()
	if err != nil {
		return nil
	}
	v, ok := lib.Version(d.PolicyVersion)
	if !ok {
		return nil
	}
	doc, ok := v.Doc(d.Lang)
	if !ok {
		return nil
	}
	// The receipt goes under the page's ticket: a server-minted id, which
	// the server stores nothing under until the device sends the receipt.
	meta := consentreceipt.Meta{
		ReceiptID:    outbox.NewReceiptID(),
		PolicySHA256: doc.SHA256,
		Notice:       notice.For(cat, d.Surface, d.Lang),
	}
	if t, err := credential.PeekTicket(g.view.Ticket); err == nil {
		meta.ReceiptID, meta.Ticket = t.ReceiptID, g.view.Ticket
		g.view.Ticket = ""
	}
	msg := BridgeMessage{Type: BridgeType, Decision: string(d.Kind), PolicyVersion: d.PolicyVersion, Purposes: map[string]bool{}, ReceiptID: meta.ReceiptID}
	for _, c := range d.Choices {
		msg.Purposes[string(c.Purpose)] = c.Granted
	}
	for i := range g.view.Optional {
		g.view.Optional[i].Granted = d.Granted(consent.PurposeID(g.view.Optional[i].ID))
	}
	g.view.Mode, g.view.Decision, g.view.Error, g.view.Bridge = GateDone, string(d.Kind), "", &msg
	order := &ReceiptOrder{Decision: d, Meta: meta}
	web.deliver(msg)
	web.focus("kc-gate-title")
	return order
}

func (g *Gate) Render() app.UI {
	if !g.loaded {
		return app.Div().ID(RootID).Class("kc-root")
	}
	l := g.loc()
	var body app.UI
	switch g.view.Mode {
	case GateDone:
		body = g.renderDone(l)
	case GateCurrent:
		body = g.renderCurrent(l)
	default:
		body = g.renderAsk(l)
	}
	return app.Div().ID(RootID).Class("kc-root").Body(
		app.A().Class("kc-skip").Href("#main").Text(l.T("skip_to_content")),
		app.Link().Rel("stylesheet").Href("/static/gate.css"),
		app.Main().ID("main").Class("kc-gate").Body(
			app.Div().ID("kc-gate-dialog").Class("kc-gate__dialog").Role("dialog").
				Aria("modal", "true").Aria("labelledby", "kc-gate-title").Aria("describedby", "kc-gate-intro").Body(
				app.P().Class("kc-gate__lang").Body(
					app.A().Href(g.switchURL()).Lang(lang.Other(g.view.Lang)).Aria("label", l.T("lang_switch_label")).Text(l.T("lang_switch")),
				),
				body,
			),
		),
	)
}

// switchURL is the language switch: setlang=1 tells the server the person
// chose the language, which it may remember.
func (g *Gate) switchURL() string {
	q := url.Values{"lang": {lang.Other(g.view.Lang)}, "setlang": {"1"}}
	if g.view.HostState != "" {
		q.Set("state", g.view.HostState)
	}
	if g.view.Mode == GateAsk || g.view.Mode == GateReask {
		q.Set("open", "1")
	}
	return "/consent?" + q.Encode()
}

func title(l *lang.Localizer, id string, data ...any) app.HTMLH1 {
	return app.H1().ID("kc-gate-title").TabIndex(-1).Text(l.T(id, data...))
}

func (g *Gate) renderAsk(l *lang.Localizer) app.UI {
	v := g.view
	var head []app.UI
	if v.Mode == GateReask {
		head = append(head,
			title(l, "gate_reask_title"),
			app.P().ID("kc-gate-intro").Text(l.T("gate_reask_intro", map[string]string{"Accepted": v.AcceptedVersion, "Version": v.PolicyVersion})),
		)
	} else {
		head = append(head,
			title(l, "gate_title"),
			app.P().ID("kc-gate-intro").Text(l.T("gate_intro")),
			app.H2().Text(l.T("gate_basic_heading")),
			app.P().Text(v.Required.Description),
			app.H2().Text(l.T("gate_sdks_heading")),
			app.Ul().Class("kc-gate__sdks").Body(app.Range(v.Optional).Slice(func(i int) app.UI {
				return app.Li().Text(v.Optional[i].SDK + " · " + v.Optional[i].Title)
			})),
		)
	}
	links := []app.UI{app.A().Href(v.PrivacyURL).Text(l.T("gate_read_policy"))}
	if v.AgreementURL != "" {
		links = append(links, app.Text(" "), app.A().Href(v.AgreementURL).Text(l.T("gate_user_agreement")))
	}
	head = append(head, app.P().Class("kc-gate__links").Body(links...))

	var choices []app.UI
	choices = append(choices, app.Summary().ID("kc-gate-choices-summary").Text(l.T("gate_choices_summary", map[string]int{"Count": len(v.Optional)})))
	if v.Mode != GateReask || v.Required.Changed {
		choices = append(choices, app.Section().Class("kc-purpose", "kc-purpose--required").Aria("labelledby", "kc-p-required-title").Body(
			app.H3().ID("kc-p-required-title").Body(
				app.Text(v.Required.Title),
				app.If(v.Required.Changed, func() app.UI { return app.Span().Class("kc-badge").Text(l.T("gate_changed")) }),
			),
			app.P().Class("kc-purpose__state").Text(l.T("gate_required_note")),
			facts(v.Required, l, "kc-p-required"),
		))
	}
	if len(v.Optional) > 0 {
		choices = append(choices, app.FieldSet().Class("kc-gate__optional").Body(
			app.Legend().Text(l.T("gate_optional_legend")),
			app.Range(v.Optional).Slice(func(i int) app.UI { return g.renderPurpose(v.Optional[i], l) }),
		))
	}

	agreeDescribed := "kc-agree-why kc-gate-buttons-hint"
	agree := app.Button().Type("submit").Class("kc-btn").ID("kc-agree").Aria("describedby", agreeDescribed).
		OnClick(func(ctx app.Context, e app.Event) { e.PreventDefault(); g.Decide(ctx, "agree") }).Text(l.T("gate_agree"))
	if !g.CanAgree() {
		agree = agree.Aria("disabled", "true")
	}
	adult := app.Input().Type("checkbox").Name("adult").Value("1").ID("kc-adult").Aria("describedby", "kc-adult-hint").
		OnChange(func(ctx app.Context, e app.Event) {
			g.adult = ctx.JSSrc().Get("checked").Bool()
			if g.adult && g.view.Error == "gate_error_adult" {
				g.view.Error = ""
			}
		})
	if g.adult {
		adult = adult.Checked(true)
	}
	return app.Div().Body(
		app.Div().Body(head...),
		app.Form().Method("post").Action("/consent").ID("kc-gate-form").Class("kc-gate__form").Body(
			g.details(choices),
			app.Div().Class("kc-gate__adult").Body(
				adult,
				app.Label().For("kc-adult").Text(l.T("gate_adult")),
				app.P().ID("kc-adult-hint").Class("kc-hint").Text(l.T("gate_adult_hint")),
			),
			app.If(g.view.Error != "", func() app.UI {
				return app.P().ID("kc-gate-error").Class("kc-error").Role("alert").Text(l.T(g.view.Error))
			}),
			// Always present, so that ticking the 18+ box moves nothing on
			// the screen (a button that jumps is a mis-tap); its words
			// change and a screen reader hears the change.
			app.P().ID("kc-agree-why").Class("kc-hint").Aria("live", "polite").Text(l.T(agreeWhy(g.CanAgree()))),
			app.P().Class("kc-hint").ID("kc-gate-buttons-hint").Text(l.T("gate_buttons_hint")),
			app.Div().Class("kc-gate__actions").Body(
				app.Button().Type("submit").Class("kc-btn").ID("kc-disagree").Aria("describedby", "kc-gate-buttons-hint").
					OnClick(func(ctx app.Context, e app.Event) { e.PreventDefault(); g.Decide(ctx, "decline") }).Text(l.T("gate_disagree")),
				agree,
			),
		),
	)
}

func (g *Gate) details(choices []app.UI) app.UI {
	d := app.Details().Class("kc-gate__choices").ID("kc-gate-choices").
		OnToggle(func(ctx app.Context, e app.Event) { g.open = ctx.JSSrc().Get("open").Bool() }).Body(choices...)
	if g.open {
		d = d.Open(true)
	}
	return d
}

func agreeWhy(canAgree bool) string {
	if canAgree {
		return "gate_agree_ready"
	}
	return "gate_agree_disabled"
}

func (g *Gate) renderPurpose(p PurposeView, l *lang.Localizer) app.UI {
	id := "kc-p-" + p.ID
	in := app.Input().Type("checkbox").Name("purpose").Value(p.ID).ID(id).Aria("describedby", id+"-facts").
		OnChange(func(ctx app.Context, e app.Event) { g.Toggle(p.ID, ctx.JSSrc().Get("checked").Bool()) })
	if slices.Contains(g.ticked, p.ID) {
		in = in.Checked(true)
	}
	return app.Div().Class("kc-purpose").Body(
		in,
		app.Label().For(id).Body(
			app.Span().Class("kc-purpose__title").Text(p.Title),
			app.Span().Class("kc-purpose__sdk").Text(p.SDK),
			app.If(p.Separate, func() app.UI { return app.Span().Class("kc-badge", "kc-badge--separate").Text(l.T("gate_separate")) }),
			app.If(p.New, func() app.UI { return app.Span().Class("kc-badge").Text(l.T("gate_new")) }).
				ElseIf(p.Changed, func() app.UI { return app.Span().Class("kc-badge").Text(l.T("gate_changed")) }),
		),
		facts(p, l, id+"-facts"),
	)
}

func facts(p PurposeView, l *lang.Localizer, id string) app.UI {
	var items []app.UI
	if p.Collects != "" {
		items = append(items, app.Dt().Text(l.T("gate_collects")), app.Dd().Text(p.Collects))
	}
	if p.Use != "" {
		items = append(items, app.Dt().Text(l.T("gate_use")), app.Dd().Text(p.Use))
	}
	if p.Recipient != "" {
		items = append(items, app.Dt().Text(l.T("gate_recipient")), app.Dd().Body(
			app.Text(p.Recipient+" "),
			app.If(p.PrivacyURL != "", func() app.UI { return app.A().Href(p.PrivacyURL).Rel("noopener").Text(l.T("gate_sdk_policy")) }),
		))
	}
	return app.Dl().Class("kc-purpose__facts").ID(id).Body(items...)
}

func (g *Gate) renderGranted(l *lang.Localizer) app.UI {
	items := []app.UI{app.Li().Text(g.view.Required.Title)}
	for _, p := range g.view.Optional {
		if p.Granted {
			items = append(items, app.Li().DataSet("purpose", p.ID).Text(p.Title+" · "+p.SDK))
		}
	}
	return app.Div().Body(
		app.H2().Text(l.T("gate_current_granted")),
		app.Ul().Class("kc-gate__granted").ID("kc-granted").Body(items...),
	)
}

func (g *Gate) renderCurrent(l *lang.Localizer) app.UI {
	v := g.view
	q := url.Values{"lang": {v.Lang}, "open": {"1"}}
	if v.HostState != "" {
		q.Set("state", v.HostState)
	}
	return app.Div().Body(
		title(l, "gate_current_title"),
		app.P().ID("kc-gate-intro").Text(l.T("gate_current_intro", map[string]string{"Decision": l.T("gate_kind_" + v.Decision), "Date": v.DecidedAt, "Version": v.PolicyVersion})),
		g.renderGranted(l),
		app.P().Class("kc-gate__links").Body(
			app.A().Href(v.SettingsURL).ID("kc-settings-link").Text(l.T("gate_settings")), app.Text(" "),
			app.A().Href("/consent?"+q.Encode()).ID("kc-change-link").Text(l.T("gate_change")), app.Text(" "),
			app.A().Href(v.PrivacyURL).Text(l.T("gate_read_policy")),
		),
	)
}

func (g *Gate) renderDone(l *lang.Localizer) app.UI {
	v := g.view
	var middle app.UI
	if v.Decision == "declined" {
		middle = app.Div().Body(
			app.H2().Text(l.T("gate_still_works")),
			app.P().Text(l.T("gate_still_works_text")),
			app.H2().Text(l.T("gate_not_working")),
			app.Ul().Body(app.Range(v.Optional).Slice(func(i int) app.UI {
				return app.Li().Text(v.Optional[i].Title + " · " + v.Optional[i].SDK)
			})),
		)
	} else {
		middle = g.renderGranted(l)
	}
	return app.Div().Body(
		app.H1().ID("kc-gate-title").TabIndex(-1).DataSet("decision", v.Decision).Text(l.T("gate_done_"+v.Decision)),
		app.P().ID("kc-gate-intro").Text(l.T("gate_done_intro")),
		middle,
		app.If(v.Bridge != nil, func() app.UI {
			return app.P().Class("kc-hint").Body(app.Text(l.T("gate_receipt")+" "), app.Code().Text(v.Bridge.ReceiptID))
		}),
		app.P().Class("kc-gate__links").Body(
			app.A().Href(v.SettingsURL).ID("kc-settings-link").Text(l.T("gate_settings")), app.Text(" "),
			app.A().Href(v.PrivacyURL).Text(l.T("gate_read_policy")),
		),
	)
}
