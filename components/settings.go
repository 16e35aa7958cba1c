package components

import (
	"encoding/json"
	"net/url"
	"slices"

	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/views/settingsview"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Settings enhances /settings/privacy: a change is saved without a reload,
// the history and dates update in place, and the wasm hands the decision
// to the host app itself. Its markup is the server's: the parts of the
// state rendered by views/settingsview, and the parts no choice changes as
// the server's page had them.
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
	// static is the markup of the page's parts no choice changes
	// (settingsview.KeepIDs), by id, as the server wrote them.
	static map[string]string
	// historyOpen is whether the person had the history open before a new
	// view replaced it (restore).
	historyOpen bool
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
	s.historyOpen = web.property(historyID, "open")
}

func (s *Settings) OnMount(ctx app.Context) {
	enhanced()
	// go-app has put its own nodes in place of the server's: the switches
	// show what their markup says, not what the person ticked before.
	s.restore()
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
		ctx.Dispatch(func(ctx app.Context) {
			recordOrder(s.Outcome(status, body, err))
			settle(ctx, s)
		})
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
	s.historyOpen = web.property(historyID, "open")
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

// historyID is the history's disclosure, which the person may have open.
const historyID = "kc-history-more"

func (s *Settings) Render() app.UI {
	if !s.loaded {
		return app.Div().ID(RootID).Class("kc-root")
	}
	v := s.view
	l := texts.New(v.Lang, s.strings)
	main := app.Main()
	for _, a := range settingsview.MainAttrs(v) {
		main = main.Attr(a.Key, a.Value)
	}
	var parts []app.UI
	for _, p := range settingsview.Parts(v, l) {
		parts = append(parts, s.part(p))
	}
	// The controls are the view's markup: their events are taken where
	// they bubble to, by the id or name of the control.
	main = main.OnClick(func(ctx app.Context, e app.Event) {
		if b := e.Get("target").Call("closest", "button"); b.Truthy() && s.Click(ctx, b.Get("id").String()) {
			e.PreventDefault()
		}
	}).OnChange(func(ctx app.Context, e app.Event) {
		if in := e.Get("target"); in.Get("name").String() == "purpose" {
			s.Toggle(in.Get("value").String(), in.Get("checked").Bool())
		}
	})
	return app.Div().ID(RootID).Class("kc-root").Body(
		app.A().Class("kc-skip").Href("#main").Text(l.T("skip_to_content")),
		main.Body(parts...),
	)
}

// part is one child of <main>: the server's markup of a part no choice
// changes, or the view's of a part of the state. A part the view does not
// show (no notice) is an empty text node, which a reader never meets, so
// that each part keeps its place: go-app compares children by position,
// and replaces a part only when its markup changed, so the parts after it
// keep their nodes (an open disclosure, a status settings.js wrote).
func (s *Settings) part(p settingsview.Part) app.UI {
	markup := s.static[p.Keep]
	if p.Keep == "" {
		var err error
		// Rendering into memory fails only with a defect of the view,
		// which the DOM tests catch; the part is then left out rather
		// than the whole page lost.
		if markup, err = settingsview.HTML(p.View); err != nil {
			markup = ""
		}
	}
	if markup == "" {
		return app.Text("")
	}
	return app.Raw(markup)
}

// Click acts on a press of the button id and reports whether it did, so
// that the button's own action (the form's post) does not follow.
func (s *Settings) Click(ctx app.Context, id string) bool {
	switch id {
	case "kc-save":
		s.Save(ctx, "save")
	case "kc-withdraw-all":
		s.Save(ctx, "withdraw-all")
	case "kc-download-device":
		web.deviceHistory(func(history []byte, err error) {
			ctx.Dispatch(func(ctx app.Context) {
				if err != nil {
					s.view.Error = "settings_download_error"
					return
				}
				web.saveFile("kaiconn-device-receipts.json", "application/json", history)
			})
		})
	default:
		return false
	}
	return true
}

// settle has s restored once go-app has put a new view in place.
func settle(ctx app.Context, s *Settings) {
	if app.IsClient {
		ctx.Defer(func(app.Context) { s.restore() })
	}
}

// restore gives the page back what a part rendered anew loses with its
// old node: a switch's tick is the DOM property, which the markup's
// checked (the stored answer) does not carry, so a switch the person
// flipped and has not saved keeps its flip; and the history stays open
// if it was.
func (s *Settings) restore() {
	for _, p := range s.view.Optional {
		web.setProperty(settingsview.InputID(p.ID), "checked", slices.Contains(s.on, p.ID))
	}
	if s.historyOpen {
		web.setProperty(historyID, "open", true)
	}
}

// keepStatic reads the parts no choice changes from the server's page
// before go-app replaces it; settings.js, which listens on the document,
// keeps serving their buttons.
func (s *Settings) keepStatic() {
	s.static = map[string]string{}
	for _, id := range settingsview.KeepIDs() {
		if el := app.Window().GetElementByID(id); el.Truthy() {
			s.static[id] = el.Get("outerHTML").String()
		}
	}
}
