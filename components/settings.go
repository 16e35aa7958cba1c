package components

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/views/settingsview"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Settings enhances /settings/privacy: a change is saved without a reload,
// the history and dates update in place, and the wasm hands the decision
// to the host app itself.
type Settings struct {
	app.Compo

	view SettingsView
	// strings are the UI messages of the page's state; an answer to a post
	// carries none and keeps them.
	strings map[string]string
	on      []string
	busy    bool
	loaded  bool
	focused string
	static  map[string]string // settingsStatic's markup, by id
}

func (s *Settings) OnInit() {
	if !app.IsClient {
		return
	}
	if err := readState(&s.view); err != nil {
		return
	}
	s.loaded = true
	s.strings = s.view.Strings
	s.keepStatic()
	s.resetSwitches()
	if ticked, _, ok := web.formState("kc-settings-form"); ok {
		s.on = ticked
	}
	s.focused = web.activeID()
}

func (s *Settings) OnMount(ctx app.Context) {
	enhanced()
	if s.focused != "" {
		web.focus(s.focused)
	}
}

func (s *Settings) resetSwitches() {
	s.on = nil
	for _, p := range s.view.Optional {
		if p.Granted {
			s.on = append(s.on, p.ID)
		}
	}
}

// Toggle records a switch the person flipped.
func (s *Settings) Toggle(id string, on bool) {
	s.on = slices.DeleteFunc(s.on, func(x string) bool { return x == id })
	if on {
		s.on = append(s.on, id)
	}
}

// Form is what a change posts: the same fields as the server-rendered form
// (the page's ticket among them), and device=1 where this browser signs
// its own receipts.
func (s *Settings) Form(action string) url.Values {
	f := url.Values{"lang": {s.view.Lang}, "action": {action}}
	if s.view.HostState != "" {
		f.Set("state", s.view.HostState)
	}
	if s.view.Ticket != "" {
		f.Set("ticket", s.view.Ticket)
	}
	if web.deviceReceipts() {
		f.Set("device", "1")
	}
	for _, p := range s.view.Optional {
		if slices.Contains(s.on, p.ID) {
			f.Add("purpose", p.ID)
		}
	}
	return f
}

// Save posts the switches ("save") or withdraws every optional purpose
// ("withdraw-all").
func (s *Settings) Save(ctx app.Context, action string) {
	if s.busy {
		return
	}
	s.busy = true
	form := s.Form(action)
	web.postForm("/settings/privacy", form, func(status int, body []byte, err error) {
		ctx.Dispatch(func(ctx app.Context) { recordOrder(s.Outcome(status, body, err)) })
	})
}

// Outcome applies the server's answer to a posted change and returns the
// order of the receipt the device is to sign, nil when there is none.
func (s *Settings) Outcome(status int, body []byte, err error) json.RawMessage {
	s.busy = false
	out, ok := readOutcome[SettingsView](status, body, err)
	if !ok {
		s.view.Error = "gate_error_network"
		return nil
	}
	host := s.view.HostState
	s.view = out.View
	if status == 200 && out.View.Bridge != nil {
		// The cookie now holds the new decision; the host's old state no
		// longer describes it.
		host = ""
		web.deliver(*out.View.Bridge)
	}
	s.view.HostState = host
	s.resetSwitches()
	web.focus("kc-saved")
	if status != 200 {
		return nil
	}
	return out.Receipt
}

func (s *Settings) Render() app.UI {
	if !s.loaded {
		return app.Div().ID(RootID).Class("kc-root")
	}
	v := s.view
	l := texts.New(v.Lang, s.strings)
	q := url.Values{"lang": {texts.Other(v.Lang)}, "setlang": {"1"}} // the person chose it
	if v.HostState != "" {
		q.Set("state", v.HostState)
	}
	return app.Div().ID(RootID).Class("kc-root").Body(
		app.A().Class("kc-skip").Href("#main").Text(l.T("skip_to_content")),
		app.Link().Rel("stylesheet").Href(web.stylesheet("settings.css")),
		s.main().Body(
			app.Header().Class("kc-settings__head").Body(
				Wordmark(),
				app.P().Class("kc-settings__lang").Body(
					app.A().Href("/settings/privacy?"+q.Encode()).Lang(texts.Other(v.Lang)).Aria("label", l.T("lang_switch_label")).Text(l.T("lang_switch")),
				),
				app.H1().ID("kc-settings-title").Text(l.T("settings_title")),
			),
			s.renderStatic("kc-settings-nav"),
			app.If(v.Saved != "", func() app.UI {
				return app.P().Class("kc-notice").Role("status").ID("kc-saved").TabIndex(-1).DataSet("kind", v.Saved).Text(l.T("settings_saved_" + v.Saved))
			}),
			app.If(v.Error != "", func() app.UI {
				return app.P().Class("kc-error").Role("alert").ID("kc-settings-error").Text(l.T(v.Error))
			}),
			s.renderSummary(l),
			app.Section().Aria("labelledby", "kc-choices-title").Body(
				app.H2().ID("kc-choices-title").Text(l.T("settings_choices")),
				app.Form().Method("post").Action("/settings/privacy").ID("kc-settings-form").Aria("labelledby", "kc-choices-title").AutoComplete(false).DataSet("kc-enhance", "form").Body(
					app.Input().Type("hidden").Name("lang").Value(v.Lang),
					app.If(v.Ticket != "", func() app.UI { return app.Input().Type("hidden").Name("ticket").Value(v.Ticket) }),
					app.If(v.HostState != "", func() app.UI { return app.Input().Type("hidden").Name("state").Value(v.HostState) }),
					app.Div().Class("kc-switch", "kc-switch--required").ID("kc-p-required").Body(
						app.P().Class("kc-switch__title").ID("kc-p-required-title").Text(v.Required.Title),
						app.P().Class("kc-switch__state").DataSet("state", "on").Text(l.T("settings_required_note")),
					),
					app.FieldSet().Class("kc-switches").Body(
						app.Legend().Text(l.T("settings_optional_legend")),
						app.Range(v.Optional).Slice(func(i int) app.UI { return s.renderSwitch(v.Optional[i], l) }),
					),
					app.Div().Class("kc-settings__actions").ID("kc-settings-actions").Body(
						app.P().Class("kc-settings__unsaved").ID("kc-unsaved").Role("status").Text(l.T("settings_unsaved")),
						app.Button().Type("submit").Name("action").Value("save").Class("kc-choice").ID("kc-save").
							OnClick(func(ctx app.Context, e app.Event) { e.PreventDefault(); s.Save(ctx, "save") }).Text(l.T("settings_save")),
						app.Button().Type("submit").Name("action").Value("withdraw-all").Class("kc-choice").ID("kc-withdraw-all").
							OnClick(func(ctx app.Context, e app.Event) { e.PreventDefault(); s.Save(ctx, "withdraw-all") }).Text(l.T("settings_withdraw_all")),
					),
				),
			),
			s.renderStatic("kc-rights"),
			s.renderStatic("kc-contact"),
			app.Section().Class("kc-history-block").Aria("labelledby", "kc-history-title").Body(
				app.Details().Class("kc-more").ID("kc-history-more").Body(
					app.Summary().Body(app.H2().ID("kc-history-title").Text(l.T("settings_history"))),
					s.renderHistory(l),
				),
				app.If(len(v.History) > 0, func() app.UI { return s.renderDownload(l) }),
			),
			s.renderStatic("kc-shared"),
		),
	)
}

// main is the page's <main>, marked as the server marks it when the view
// was rendered without any state.
func (s *Settings) main() app.HTMLMain {
	m := app.Main().ID("main").Class("kc-settings").DataSet("decided", Decided(s.view.HasDecision))
	if s.view.RenderedFor != "" {
		m = m.DataSet("rendered-for", s.view.RenderedFor)
	}
	return m
}

// settingsStatic are the ids of the parts of the server's page that no
// choice changes: the links, the rights centre, the contact block and the
// third parties. The component keeps their markup as the server wrote it
// (views.Settings) instead of writing it a second time; settings.js, which
// listens on the document, keeps serving their buttons.
var settingsStatic = []string{"kc-settings-nav", "kc-rights", "kc-contact", "kc-shared"}

// keepStatic reads those parts from the server's page before go-app
// replaces it.
func (s *Settings) keepStatic() {
	s.static = map[string]string{}
	for _, id := range settingsStatic {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			s.static[id] = el.Get("outerHTML").String()
		}
	}
}

func (s *Settings) renderStatic(id string) app.UI {
	return app.If(s.static[id] != "", func() app.UI { return app.Raw(s.static[id]) })
}

// Decided is main's data-decided (settingsview.Decided).
func Decided(has bool) string { return settingsview.Decided(has) }

// renderTime is an instant shown by the one time rule (LocalTime), as the
// server's page shows it.
func renderTime(at, l string) app.UI {
	return app.Time().Class("kc-time").DateTime(at).Text(LocalTime(at, l))
}

// renderSentence renders message id with a time where its {{.Date}} goes.
func renderSentence(l *texts.Localizer, id, at string, data map[string]string) []app.UI {
	m := map[string]string{"Date": TimeMark}
	for k, x := range data {
		m[k] = x
	}
	before, after := SplitAtTime(l.T(id, m))
	return []app.UI{app.Text(before), renderTime(at, l.Lang), app.Text(after)}
}

// renderSummary says the stored state in words, as views.Settings does.
func (s *Settings) renderSummary(l *texts.Localizer) app.UI {
	v := s.view
	var granted []string
	for _, p := range v.Optional {
		if p.Granted {
			granted = append(granted, p.Title)
		}
	}
	state := l.T("settings_summary_some", map[string]string{"Count": strconv.Itoa(len(granted)), "Total": strconv.Itoa(len(v.Optional)), "Titles": strings.Join(granted, l.T("settings_list_sep"))})
	switch {
	case len(granted) == 0:
		state = l.T("settings_summary_none")
	case len(granted) == len(v.Optional):
		state = l.T("settings_summary_all", map[string]string{"Total": strconv.Itoa(len(v.Optional))})
	}
	var body []app.UI
	body = append(body, app.H2().ID("kc-summary-title").Text(l.T("settings_summary_title")))
	if !v.HasDecision {
		body = append(body,
			app.P().ID("kc-no-decision").Class("kc-summary__state").Text(l.T("settings_no_decision")),
			app.P().Body(app.A().Class("kc-action").Href(v.GateURL).Text(l.T("settings_open_gate"))))
	} else {
		decided := []app.UI{app.Text(l.T("settings_summary_undated", map[string]string{"Version": v.PolicyVersion}))}
		if v.DecidedAt != "" {
			decided = renderSentence(l, "settings_summary_"+v.Decision, v.DecidedAt, map[string]string{"Version": v.PolicyVersion})
		}
		body = append(body,
			app.P().Class("kc-summary__state").ID("kc-summary-state").Text(state),
			app.P().Class("kc-summary__meta").ID("kc-summary-decided").Body(decided...))
		if v.PolicyVersion != v.LatestVersion {
			body = append(body, app.P().Class("kc-summary__meta").ID("kc-summary-newer").Body(
				app.Text(l.T("settings_summary_newer", map[string]string{"Version": v.LatestVersion})),
				app.A().Class("kc-action").Href(v.GateURL).Text(l.T("settings_summary_review"))))
		}
	}
	body = append(body, app.P().Class("kc-summary__meta").Text(l.T("settings_summary_basic")))
	return app.Section().Class("kc-summary").ID("kc-summary").Aria("labelledby", "kc-summary-title").
		DataSet("decision", v.Decision).DataSet("version", v.PolicyVersion).DataSet("granted", len(granted)).Body(body...)
}

func (s *Settings) renderSwitch(p PurposeView, l *texts.Localizer) app.UI {
	id := "kc-p-" + p.ID
	// Checked is set either way: the DOM property, not the attribute, is
	// what a tick box shows, and a box the person ticked keeps its tick
	// when the attribute is only removed.
	in := app.Input().Type("checkbox").Role("switch").Name("purpose").Value(p.ID).ID(id).Aria("describedby", id+"-since").
		Checked(slices.Contains(s.on, p.ID)).
		OnChange(func(ctx app.Context, e app.Event) { s.Toggle(p.ID, ctx.JSSrc().Get("checked").Bool()) })
	state := []app.UI{app.Text(l.T("settings_not_asked"))}
	switch {
	case p.Since == "" && p.Granted:
		state = []app.UI{app.Text(l.T("settings_granted_undated"))}
	case p.Since != "" && p.Granted:
		state = renderSentence(l, "settings_granted_since", p.Since, nil)
	case p.Since != "":
		state = renderSentence(l, "settings_refused_since", p.Since, nil)
	}
	onOff := "off"
	if p.Granted {
		onOff = "on"
	}
	return app.Div().Class("kc-switch").DataSet("purpose", p.ID).Body(
		app.Label().Class("kc-switch__row").For(id).Body(
			in,
			app.Span().Class("kc-switch__text").Body(
				app.Span().Class("kc-switch__title").Text(p.Title),
				app.Span().Class("kc-switch__sdk").Text(p.SDK),
				app.If(p.Separate, func() app.UI {
					return SeparateBadge(l)
				}),
			),
		),
		app.P().Class("kc-switch__state").ID(id+"-since").DataSet("state", onOff).Body(state...),
	)
}

// renderDownload offers the receipts, each with what it holds: the
// server's copy of this browser's chain, as without the wasm, and the
// device's own outbox, which also holds receipts not yet sent. The server
// renders the same markup (views.Settings); its device button shows once
// the wasm runs (settings.css).
func (s *Settings) renderDownload(l *texts.Localizer) app.UI {
	return app.Div().Class("kc-settings__downloads").Body(
		app.P().Class("kc-settings__download").Body(
			app.A().Class("kc-action").ID("kc-download").Href("/settings/privacy/receipts.json").Attr("download", "kaiconn-receipts.json").Text(l.T("settings_download")),
			app.Span().Class("kc-hint").Text(l.T("settings_download_hint")),
		),
		app.P().Class("kc-settings__download", "kc-settings__download--device").Body(
			app.Button().Type("button").Class("kc-action").ID("kc-download-device").Text(l.T("settings_download_device")).
				OnClick(func(ctx app.Context, e app.Event) {
					web.deviceHistory(func(history []byte, err error) {
						ctx.Dispatch(func(ctx app.Context) {
							if err != nil {
								s.view.Error = "settings_download_error"
								return
							}
							web.saveFile("kaiconn-device-receipts.json", "application/json", history)
						})
					})
				}),
			app.Span().Class("kc-hint").Text(l.T("settings_download_device_hint")),
		),
	)
}

func (s *Settings) renderHistory(l *texts.Localizer) app.UI {
	if len(s.view.History) == 0 {
		return app.P().Text(l.T("settings_history_empty"))
	}
	return app.Ol().Class("kc-history").ID("kc-history").Body(
		app.Range(s.view.History).Slice(func(i int) app.UI {
			h := s.view.History[i]
			granted := l.T("settings_history_none")
			if len(h.Granted) > 0 {
				granted = strings.Join(h.Granted, l.T("settings_list_sep"))
			}
			return app.Li().DataSet("kind", h.Kind).Body(
				app.P().Class("kc-history__head").Body(
					app.Strong().Text(l.T("settings_kind_"+h.Kind)),
					app.Span().Class("kc-history__meta").Body(
						renderTime(h.At, l.Lang),
						app.Text(" · "+l.T("settings_history_version", map[string]string{"Version": h.PolicyVersion})),
					),
				),
				app.P().Text(l.T("settings_history_granted")+granted),
				app.Details().Class("kc-history__receipt").Body(
					app.Summary().Text(l.T("settings_history_receipt")),
					app.Code().Text(h.ReceiptID),
				),
			)
		}),
	)
}
