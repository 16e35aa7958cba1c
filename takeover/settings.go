package takeover

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/errs"
)

// SettingsRequest is what a settings page of the app bundle asks the
// worker when the person taps Save or "Withdraw all" (bundle.js, through
// boot.js's engine): the action, the switches on, and the history the
// page showed. The worker keeps nothing between two requests, so the page
// hands back what the worker's last answer said it showed.
type SettingsRequest struct {
	// Action is "save" or "withdraw-all"; "show" decides nothing and
	// answers with the view of History (with Catalogues: the newer
	// version's view, which the page then shows).
	Action string   `json:"action"`
	On     []string `json:"on"` // the optional purposes switched on
	// History is the person's history as the page shows it, newest
	// first, each entry a host state (the base64url bridge message, as
	// ?state= hands it over): the host's own, then the changes made on the
	// page. Empty on a page that shows no decision.
	History []string `json:"history"`
	// Catalogues are a newer policy version's texts, which the page
	// checked against the hash the consent server named (bundle's
	// newer.js, docs/bundle.md "A newer policy"): the request is answered
	// with them instead of the page's, as the newer server would answer.
	// "" for the page's own.
	Catalogues string `json:"catalogues,omitempty"`
}

// SettingsAnswer is the worker's answer: the view to show and, when the
// change was recorded, what the page hands on. The page delivers Bridge to
// the host, queues Order with bundle.js and keeps History for its next
// request.
type SettingsAnswer struct {
	View    consentview.SettingsView
	History []string
	// Bridge is the message for the host, nil when nothing was recorded
	// (no change, or a purpose the catalogue does not know).
	Bridge *consentview.BridgeMessage
	Order  *SettingsOrder
}

// SettingsOrder is a change queued for its receipt (bundle.js's
// KaiconnConsent.record): the form of POST /api/v1/orders, the receipt id
// the bridge message names, and the policy version it was decided under.
type SettingsOrder struct {
	Body    string `json:"body"`
	ID      string `json:"id"`
	Version string `json:"version"`
}

// SettingsHistory reads a history as the page hands it back (newest
// first), each entry by the same strict parser as the host's ?state=. An
// entry the parser refuses refuses the whole: the page only ever hands
// back what the worker gave it.
func SettingsHistory(cats *consentview.Catalogues, raw []string, now time.Time) ([]consentview.Decision, error) {
	out := make([]consentview.Decision, 0, len(raw))
	for _, s := range raw {
		d, err := cats.ParseHostState(s, now)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, nil
}

// ChangeSettings decides a change made on a settings page of the app bundle,
// which the consent server may be out of reach of, by the settings' one
// rule (consentview.Catalogues.ChangeSettings, which the server's order
// endpoint applies again to the order's state), and returns the view the
// page shows after it. A change that changes nothing, or names a purpose
// the catalogue does not know, records nothing and says so, as the
// server's page does. The catalogues must be those the page was rendered
// with; newID makes the receipt id (uuid.NewString in the worker).
func ChangeSettings(cats *consentview.Catalogues, page consentview.SettingsView, req SettingsRequest, now time.Time, newID func() string) (SettingsAnswer, error) {
	if cats == nil || cats.Latest.Version() != page.LatestVersion {
		return SettingsAnswer{}, errs.New(errs.Invalid, "settings: the catalogues are not those the page was rendered with")
	}
	history, err := SettingsHistory(cats, req.History, now)
	if err != nil {
		return SettingsAnswer{}, err
	}
	var on []consent.PurposeID
	for _, id := range req.On {
		on = append(on, consent.PurposeID(id))
	}
	links := settingsLinks(page)
	current := ""
	if len(req.History) > 0 {
		current = req.History[0]
	}
	d, changed, err := cats.ChangeSettings(history, req.Action, on, page.Lang, now)
	if err != nil || !changed {
		v := cats.Settings(page.Lang, links, history)
		v.Saved = consentview.SavedUnchanged
		if err != nil {
			v.Saved, v.Error = "", "settings_error_purpose"
		}
		return SettingsAnswer{View: settingsShown(v, page, current), History: req.History}, nil
	}
	rec := consentview.Decision{Decision: d, ReceiptID: newID()}
	if !consentview.ValidReceiptID(rec.ReceiptID) {
		return SettingsAnswer{}, errs.New(errs.Invalid, "settings: receipt id %q", rec.ReceiptID)
	}
	action := "save"
	if req.Action == "withdraw-all" {
		action = req.Action
	}
	form := url.Values{"surface": {string(consent.SurfaceSettings)}, "action": {action}, "lang": {page.Lang},
		"at": {strconv.FormatInt(d.At.UnixMilli(), 10)}}
	if current != "" {
		// The order is decided again from the state the change was made
		// on, not from the page's word for it.
		form.Set("state", current)
	}
	for _, id := range on {
		form.Add("purpose", string(id))
	}
	msg := consentview.Bridge(rec)
	b, err := json.Marshal(msg)
	if err != nil {
		return SettingsAnswer{}, err
	}
	// The host stores the message as its new state; the next change on the
	// page starts from it, as the order of that change will.
	state := base64.RawURLEncoding.EncodeToString(b)
	history = append([]consentview.Decision{rec}, history...)
	v := cats.Settings(page.Lang, links, history)
	v.Saved = string(d.Kind)
	return SettingsAnswer{
		View:    settingsShown(v, page, state),
		History: append([]string{state}, req.History...),
		Bridge:  msg,
		Order:   &SettingsOrder{Body: form.Encode(), ID: rec.ReceiptID, Version: d.PolicyVersion},
	}, nil
}

// NewerSettings are the catalogues of a newer policy version than the one
// a settings page rendered without state was rendered for (an app bundle
// built before it), and the page as that version shows it. raw are the
// texts the page checked (SettingsRequest.Catalogues); they must be of a
// later version than the page's.
func NewerSettings(page consentview.SettingsView, raw string) (*consentview.Catalogues, consentview.SettingsView, error) {
	cats, err := Catalogues(json.RawMessage(raw))
	if err != nil {
		return nil, page, err
	}
	if page.RenderedFor != consentview.RenderedNone || cats.Latest.Version() <= page.LatestVersion {
		return nil, page, errs.New(errs.Invalid, "settings: %s is not newer than the page's %s", cats.Latest.Version(), page.LatestVersion)
	}
	page.LatestVersion = cats.Latest.Version()
	return cats, page, nil
}

// showSettings is the view of history as it stands, nothing decided.
func showSettings(cats *consentview.Catalogues, page consentview.SettingsView, raw []string, now time.Time) (SettingsAnswer, error) {
	history, err := SettingsHistory(cats, raw, now)
	if err != nil {
		return SettingsAnswer{}, err
	}
	current := ""
	if len(raw) > 0 {
		current = raw[0]
	}
	v := cats.Settings(page.Lang, settingsLinks(page), history)
	if len(raw) == 0 {
		// Still the first launch's view, as the server marks it.
		v.RenderedFor = consentview.RenderedNone
	}
	return SettingsAnswer{View: settingsShown(v, page, current), History: raw}, nil
}

// NewReceiptID is the id of a receipt made on the device: a random UUID.
func NewReceiptID() string { return uuid.NewString() }

// settingsLinks are the page's links, which a computed view keeps.
func settingsLinks(page consentview.SettingsView) consentview.SettingsPage {
	return consentview.SettingsPage{PrivacyURL: page.PrivacyURL, GateURL: page.GateURL}
}

// settingsShown keeps in a computed view what the page's data carried that
// no decision changes, and the host state the view is of.
func settingsShown(v consentview.SettingsView, page consentview.SettingsView, state string) consentview.SettingsView {
	v.HostState, v.Ticket, v.Strings, v.Catalogues = state, page.Ticket, page.Strings, page.Catalogues
	return v
}

// SettingsReply is the worker's answer as the page reads it (engine.js
// posts it to boot.js): the markup to show, the history it shows, and for
// a change recorded, the bridge message and the order. Error says why the
// worker could not answer; the page then keeps what it shows.
type SettingsReply struct {
	// Main is the <main> RenderSettings writes, with a placeholder for
	// each part no choice changes, which the page fills with its own.
	Main    string                     `json:"main,omitempty"`
	History []string                   `json:"history"`
	Saved   string                     `json:"saved,omitempty"`
	Bridge  *consentview.BridgeMessage `json:"bridge,omitempty"`
	Order   *SettingsOrder             `json:"order,omitempty"`
	Error   string                     `json:"error,omitempty"`
}

// FirstSettings is the worker's first answer on a settings page rendered
// without state: the view of the host's state raw, or no markup when the
// page is right as it is (no state, or one the server would refuse), and
// the history the page then shows.
func FirstSettings(cats *consentview.Catalogues, page consentview.SettingsView, raw string, now time.Time) SettingsReply {
	v, ok := Settings(cats, page, raw, now)
	if !ok {
		return SettingsReply{History: []string{}}
	}
	r, err := RenderSettings(v, page.Strings)
	if err != nil {
		return SettingsReply{History: []string{}, Error: err.Error()}
	}
	return SettingsReply{Main: r.Main, History: []string{raw}}
}

// AnswerSettings is the worker's answer to a change (ChangeSettings), with
// the markup of the view that follows it.
func AnswerSettings(cats *consentview.Catalogues, page consentview.SettingsView, req SettingsRequest, now time.Time, newID func() string) SettingsReply {
	if req.History == nil {
		req.History = []string{} // the page reads a list, never null
	}
	fail := func(err error) SettingsReply { return SettingsReply{History: req.History, Error: err.Error()} }
	if req.Catalogues != "" {
		var err error
		if cats, page, err = NewerSettings(page, req.Catalogues); err != nil {
			return fail(err)
		}
	}
	var a SettingsAnswer
	var err error
	if req.Action == "show" {
		a, err = showSettings(cats, page, req.History, now)
	} else {
		a, err = ChangeSettings(cats, page, req, now, newID)
	}
	if err != nil {
		return fail(err)
	}
	r, err := RenderSettings(a.View, page.Strings)
	if err != nil {
		return fail(err)
	}
	return SettingsReply{Main: r.Main, History: a.History, Saved: a.View.Saved, Bridge: a.Bridge, Order: a.Order}
}
