package components

import (
	"net/url"
	"slices"

	"github.com/kaiconn/consent/lang/texts"
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
	s.resetSwitches()
	if ticked, _, ok := web.formState("kc-settings-form"); ok {
		s.on = ticked
	}
	s.focused = web.activeID()
}

func (s *Settings) OnMount(ctx app.Context) {
	enhanced()
	startOutbox(ctx)
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
		ctx.Dispatch(func(ctx app.Context) { recordOrder(ctx, s.Outcome(status, body, err)) })
	})
}

// Outcome applies the server's answer to a posted change and returns the
// receipt the device is to sign, nil when there is none.
func (s *Settings) Outcome(status int, body []byte, err error) *ReceiptOrder {
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
		app.Link().Rel("stylesheet").Href(web.stylesheet("gate.css")),
		app.Main().ID("main").Class("kc-settings").Body(
			app.P().Class("kc-gate__lang").Body(
				app.A().Href("/settings/privacy?"+q.Encode()).Lang(texts.Other(v.Lang)).Aria("label", l.T("lang_switch_label")).Text(l.T("lang_switch")),
			),
			app.H1().ID("kc-settings-title").Text(l.T("settings_title")),
			app.P().Class("kc-settings__links").Body(
				app.A().Href(v.PrivacyURL).ID("kc-policy-link").Text(l.T("settings_read_policy")),
			),
			app.If(v.Saved != "", func() app.UI {
				return app.P().Class("kc-notice").Role("status").ID("kc-saved").TabIndex(-1).DataSet("kind", v.Saved).Text(l.T("settings_saved_" + v.Saved))
			}),
			app.If(v.Error != "", func() app.UI {
				return app.P().Class("kc-error").Role("alert").ID("kc-settings-error").Text(l.T(v.Error))
			}),
			app.If(!v.HasDecision, func() app.UI {
				return app.P().ID("kc-no-decision").Body(app.Text(l.T("settings_no_decision")+" "), app.A().Href(v.GateURL).Text(l.T("settings_open_gate")))
			}),
			app.H2().ID("kc-choices-title").Text(l.T("settings_choices")),
			app.Form().Method("post").Action("/settings/privacy").ID("kc-settings-form").Aria("labelledby", "kc-choices-title").Body(
				app.Section().Class("kc-purpose", "kc-purpose--required").Aria("labelledby", "kc-p-required-title").Body(
					app.H3().ID("kc-p-required-title").Text(v.Required.Title),
					app.P().Class("kc-purpose__state").Text(l.T("gate_required_note")),
				),
				app.FieldSet().Body(
					app.Legend().Text(l.T("settings_optional_legend")),
					app.Range(v.Optional).Slice(func(i int) app.UI { return s.renderSwitch(v.Optional[i], l) }),
				),
				app.Div().Class("kc-settings__actions").Body(
					app.Button().Type("submit").Class("kc-btn").ID("kc-save").
						OnClick(func(ctx app.Context, e app.Event) { e.PreventDefault(); s.Save(ctx, "save") }).Text(l.T("settings_save")),
					app.Button().Type("submit").Class("kc-btn").ID("kc-withdraw-all").
						OnClick(func(ctx app.Context, e app.Event) { e.PreventDefault(); s.Save(ctx, "withdraw-all") }).Text(l.T("settings_withdraw_all")),
				),
			),
			app.H2().ID("kc-history-title").Text(l.T("settings_history")),
			s.renderHistory(l),
			app.If(len(v.History) > 0, func() app.UI { return s.renderDownload(l) }),
			app.H2().ID("kc-sharing-title").Text(l.T("settings_sharing")),
			app.P().Text(l.T("settings_sharing_intro")),
			app.Div().Class("kc-table-wrap").Role("region").Aria("labelledby", "kc-sharing-title").TabIndex(0).Body(
				app.Table().ID("kc-sharing").Body(
					app.THead().Body(app.Tr().Body(
						app.Th().Scope("col").Text(l.T("settings_col_sdk")),
						app.Th().Scope("col").Text(l.T("gate_recipient")),
						app.Th().Scope("col").Text(l.T("gate_collects")),
						app.Th().Scope("col").Text(l.T("gate_use")),
					)),
					app.TBody().Body(app.Range(v.Optional).Slice(func(i int) app.UI {
						p := v.Optional[i]
						return app.Tr().Body(
							app.Th().Scope("row").Body(
								app.Text(p.SDK),
								app.If(p.PrivacyURL != "", func() app.UI {
									return app.Span().Body(app.Br(), app.A().Href(p.PrivacyURL).Rel("noopener").Text(l.T("gate_sdk_policy")))
								}),
							),
							app.Td().Text(p.Recipient),
							app.Td().Text(p.Collects),
							app.Td().Text(p.Use),
						)
					})),
				),
			),
		),
	)
}

func (s *Settings) renderSwitch(p PurposeView, l *texts.Localizer) app.UI {
	id := "kc-p-" + p.ID
	in := app.Input().Type("checkbox").Name("purpose").Value(p.ID).ID(id).Aria("describedby", id+"-since").
		OnChange(func(ctx app.Context, e app.Event) { s.Toggle(p.ID, ctx.JSSrc().Get("checked").Bool()) })
	if slices.Contains(s.on, p.ID) {
		in = in.Checked(true)
	}
	since := l.T("settings_not_asked")
	switch {
	case p.Since != "" && p.Granted:
		since = l.T("settings_granted_since", map[string]string{"Date": p.Since})
	case p.Since != "":
		since = l.T("settings_refused_since", map[string]string{"Date": p.Since})
	}
	return app.Div().Class("kc-purpose").Body(
		in,
		app.Label().For(id).Body(
			app.Span().Class("kc-purpose__title").Text(p.Title),
			app.Span().Class("kc-purpose__sdk").Text(p.SDK),
			app.If(p.Separate, func() app.UI { return app.Span().Class("kc-badge", "kc-badge--separate").Text(l.T("gate_separate")) }),
		),
		app.P().Class("kc-hint", "kc-purpose__facts").ID(id+"-since").Text(since),
	)
}

// renderDownload offers the receipts: the server's copy of this browser's
// chain, as without the wasm, and the device's own outbox, which also holds
// receipts not yet sent.
func (s *Settings) renderDownload(l *texts.Localizer) app.UI {
	return app.P().Class("kc-settings__links").Body(
		app.A().ID("kc-download").Href("/settings/privacy/receipts.json").Attr("download", "kaiconn-receipts.json").Text(l.T("settings_download")),
		app.Text(" "),
		app.Button().Type("button").Class("kc-btn").ID("kc-download-device").Text(l.T("settings_download_device")).
			OnClick(func(ctx app.Context, e app.Event) {
				downloadReceipts(ctx, func(ctx app.Context, history []byte, err error) {
					if err != nil {
						s.view.Error = "settings_download_error"
						return
					}
					web.saveFile("kaiconn-device-receipts.json", "application/json", history)
				})
			}),
		app.Br(),
		app.Span().Class("kc-hint").Text(l.T("settings_download_hint")),
	)
}

func (s *Settings) renderHistory(l *texts.Localizer) app.UI {
	if len(s.view.History) == 0 {
		return app.P().Text(l.T("settings_history_empty"))
	}
	return app.Ol().Class("kc-history").ID("kc-history").Aria("labelledby", "kc-history-title").Body(
		app.Range(s.view.History).Slice(func(i int) app.UI {
			h := s.view.History[i]
			granted := l.T("settings_history_none")
			if len(h.Granted) > 0 {
				granted = ""
				for j, t := range h.Granted {
					if j > 0 {
						granted += "; "
					}
					granted += t
				}
			}
			return app.Li().DataSet("kind", h.Kind).Body(
				app.Strong().Text(h.At),
				app.Text(" · "+l.T("settings_kind_"+h.Kind)+" · "+l.T("settings_history_version", map[string]string{"Version": h.PolicyVersion})),
				app.Br(),
				app.Text(l.T("settings_history_granted")+granted),
				app.Br(),
				app.Span().Class("kc-hint").Body(app.Text(l.T("gate_receipt")+" "), app.Code().Text(h.ReceiptID)),
			)
		}),
	)
}
