package takeover

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/views/gate"
	"github.com/kaiconn/consent/views/settingsview"
)

// Catalogues are the catalogues a page rendered without state is rendered
// again with: those the page carries, when its server's are not the ones
// this wasm was built with (a newer policy), else the wasm's own.
func Catalogues(fromPage json.RawMessage) (*consentview.Catalogues, error) {
	return consentview.PageCatalogues(fromPage)
}

// fresh reports whether a page whose data says it was rendered for
// renderedFor, asking about version, is to be rendered again for the
// host's state raw with the catalogues cats: only a page rendered without
// any state, only when a state is handed over, and only when the wasm's
// catalogues are those the page was rendered with (a wasm from another
// build leaves the page as it is).
func fresh(cats *consentview.Catalogues, renderedFor, version, raw string) bool {
	return renderedFor == consentview.RenderedNone && raw != "" && cats != nil && version == cats.Latest.Version()
}

// Gate returns the gate's view for the host's state raw, on a page
// rendered without state whose data (#kc-state) is page, and whether the
// page is to show it. open is the review link (?open=1). A state the
// server would refuse is refused here too (the same ParseHostState), and
// the page stays the first launch's.
func Gate(cats *consentview.Catalogues, page consentview.GateView, raw string, open bool, now time.Time) (consentview.GateView, bool) {
	if !fresh(cats, page.RenderedFor, page.PolicyVersion, raw) {
		return consentview.GateView{}, false
	}
	d, err := cats.ParseHostState(raw, now)
	if err != nil {
		return consentview.GateView{}, false
	}
	v := cats.Gate(page.Lang, page.Page(), []consentview.Decision{*d}, open, now)
	v.HostState = raw
	if v.Mode == consentview.GateAsk || v.Mode == consentview.GateReask {
		// The page's ticket: the decision is recorded under it, as on a
		// page the server rendered for the state (Server.withTicket).
		v.Ticket, v.ReceiptID = page.Ticket, page.ReceiptID
	}
	return v, true
}

// Newer returns the gate's view of a newer policy version than the one a
// page rendered without state asks about (an app bundle built before it):
// the view of cats, the newer version's catalogues the bundle fetched and
// checked (docs/bundle.md, "A newer policy"), for the host's state raw,
// or the first launch's ask when there is none. The page's own version
// must be older than cats's, and a state the server would refuse leaves
// the page as it is, as Gate does.
func Newer(cats *consentview.Catalogues, page consentview.GateView, raw string, open bool, now time.Time) (consentview.GateView, bool) {
	if cats == nil || page.RenderedFor != consentview.RenderedNone || page.PolicyVersion >= cats.Latest.Version() {
		return consentview.GateView{}, false
	}
	var history []consentview.Decision
	if raw != "" {
		d, err := cats.ParseHostState(raw, now)
		if err != nil {
			return consentview.GateView{}, false
		}
		history = []consentview.Decision{*d}
	}
	v := cats.Gate(page.Lang, page.Page(), history, open, now)
	v.HostState = raw
	if raw == "" {
		// Still the first launch's view, as the server marks it.
		v.RenderedFor = consentview.RenderedNone
	}
	if v.Mode == consentview.GateAsk || v.Mode == consentview.GateReask {
		v.Ticket, v.ReceiptID = page.Ticket, page.ReceiptID
	}
	return v, true
}

// Rendered is a gate view as the page shows it.
type Rendered struct {
	Main string // the <main> element (views/gate.Main)
	// Script is gate.js's page data (#kc-gate), nil when the view asks
	// nothing.
	Script []byte
	Title  string // the page's title, before " · " and the site's name
}

// RenderGate renders v with the page's strings, by the server's own view.
func RenderGate(v consentview.GateView, strs map[string]string) (Rendered, error) {
	l := texts.New(v.Lang, strs)
	var b strings.Builder
	if err := gate.Main(v, l).Render(context.Background(), &b); err != nil {
		return Rendered{}, err
	}
	r := Rendered{Main: b.String(), Title: l.T(v.TitleID())}
	if v.Mode == consentview.GateAsk || v.Mode == consentview.GateReask {
		s, err := json.Marshal(gate.Script(v))
		if err != nil {
			return Rendered{}, err
		}
		r.Script = s
	}
	return r, nil
}

// Settings returns the settings' view for the host's state raw, on a page
// rendered without state whose state (#kc-state) is page, and whether the
// page is to show it. The worker renders it with RenderSettings
// (FirstSettings).
func Settings(cats *consentview.Catalogues, page consentview.SettingsView, raw string, now time.Time) (consentview.SettingsView, bool) {
	if !fresh(cats, page.RenderedFor, page.LatestVersion, raw) {
		return consentview.SettingsView{}, false
	}
	d, err := cats.ParseHostState(raw, now)
	if err != nil {
		return consentview.SettingsView{}, false
	}
	v := cats.Settings(page.Lang, settingsLinks(page), []consentview.Decision{*d})
	v.HostState, v.Ticket, v.Strings = raw, page.Ticket, page.Strings
	// The catalogues stay with the view, as in the page's data: a change
	// made on the page is decided with them (ChangeSettings).
	v.Catalogues = page.Catalogues
	return v, true
}

// RenderedSettings is a settings view as the page shows it.
type RenderedSettings struct {
	// Main is the <main> element (views/settingsview.Main), in which each
	// part that no choice changes (the links, the rights centre, the
	// contact block, the third parties) is a placeholder,
	// <template data-kc-keep="id"> (settingsview.KeepAttr): the page puts
	// its own element of that id in its place, as it is, so that its
	// markup, which the server rendered from the policy, is written once.
	Main string
	// Keep are the ids of those parts, in page order.
	Keep  []string
	Title string // the page's title, before " · " and the site's name
}

// RenderSettings renders v with the page's strings, by the server's own
// view.
func RenderSettings(v consentview.SettingsView, strs map[string]string) (RenderedSettings, error) {
	l := texts.New(v.Lang, strs)
	keep := settingsview.KeepIDs()
	slots := map[string]templ.Component{}
	for _, id := range keep {
		slots[id] = settingsview.Keep(id)
	}
	main, err := settingsview.HTML(settingsview.Main(v, l, slots))
	if err != nil {
		return RenderedSettings{}, err
	}
	return RenderedSettings{Main: main, Keep: keep, Title: l.T("settings_title")}, nil
}
