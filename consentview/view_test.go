//go:build !wasm

package consentview_test

import (
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/locales/localestest"
)

// withLater adds the fictitious 2026-12 version of testdata (a changed
// location purpose and a new sensors purpose) as the latest.
func withLater(t *testing.T) *consentview.Catalogues {
	t.Helper()
	c := loadBase(t)
	later := localestest.Catalogue(t, localestest.Later)
	c.ByVersion[localestest.Later] = later
	c.Latest = later
	return c
}

// loadBase holds the base version only (localestest.Base), the one the
// tests of behaviour are written against, whatever locales/ ships.
func loadBase(t *testing.T) *consentview.Catalogues {
	t.Helper()
	cat := localestest.Catalogue(t, localestest.Base)
	return &consentview.Catalogues{ByVersion: map[string]*consent.Catalogue{localestest.Base: cat}, Latest: cat}
}

// state is the ?state= a host hands over: the bridge message, base64url.
func state(t *testing.T, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

func message(version, decision, at string, on ...string) map[string]any {
	purposes := map[string]bool{"basic": true, "push": false, "wechat-share": false, "location": false, "crash-reports": false, "analytics": false}
	for _, id := range on {
		purposes[id] = true
	}
	return map[string]any{"v": 2, "type": "consent", "decision": decision, "policyVersion": version, "purposes": purposes,
		"receiptId": "0d6f5b0e-8a52-4c33-9a57-0c7f2f8e2a10", "at": at}
}

var page = consentview.GatePage{PrivacyURL: "/privacy?lang=en", SettingsURL: "/settings/privacy?lang=en"}

func TestParseHostStateRefusesAsAWhole(t *testing.T) {
	c := loadBase(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	good := func() map[string]any { return message(localestest.Base, "agreed", "2026-11-29T04:27:33.512Z", "push") }
	for name, tc := range map[string]struct {
		raw string
	}{
		"NotBase64":       {raw: "***"},
		"UnknownField":    {raw: state(t, func() map[string]any { m := good(); m["x"] = 1; return m }())},
		"UnknownVersion":  {raw: state(t, func() map[string]any { m := good(); m["policyVersion"] = "2030-01"; return m }())},
		"BasicRefused":    {raw: state(t, func() map[string]any { m := good(); m["purposes"].(map[string]bool)["basic"] = false; return m }())},
		"UnknownPurpose":  {raw: state(t, func() map[string]any { m := good(); m["purposes"].(map[string]bool)["sensors"] = true; return m }())},
		"Future":          {raw: state(t, func() map[string]any { m := good(); m["at"] = "2027-01-01T00:00:00Z"; return m }())},
		"LaterContract":   {raw: state(t, func() map[string]any { m := good(); m["v"] = 3; return m }())},
		"BadReceiptID":    {raw: state(t, func() map[string]any { m := good(); m["receiptId"] = "0D6F5B0E-8A52-4C33-9A57-0C7F2F8E2A10"; return m }())},
		"UnknownDecision": {raw: state(t, func() map[string]any { m := good(); m["decision"] = "maybe"; return m }())},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.ParseHostState(tc.raw, now)
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
		})
	}
	t.Run("Good", func(t *testing.T) {
		d, err := c.ParseHostState(state(t, good()), now)
		require.NoError(t, err)
		assert.Equal(t, consent.KindAgreed, d.Kind)
		assert.True(t, d.Granted("push"))
		assert.False(t, d.Granted("location"))
		assert.Equal(t, "0d6f5b0e-8a52-4c33-9a57-0c7f2f8e2a10", d.ReceiptID)
	})
}

// The gate's three views, from what the host hands over.
func TestGateFromHostState(t *testing.T) {
	now := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		cats    *consentview.Catalogues
		state   map[string]any // nil: no state
		open    bool
		mode    string
		asked   []string // the optional purposes the page shows
		granted []string // of those, the ones shown on
		review  bool
	}{
		"FirstLaunch": {cats: loadBase(t), mode: consentview.GateAsk,
			asked: []string{"push", "wechat-share", "location", "crash-reports", "analytics"}},
		"Standing": {cats: loadBase(t), state: message(localestest.Base, "agreed", "2026-11-29T04:27:33.512Z", "push", "analytics"), mode: consentview.GateCurrent,
			asked: []string{"push", "wechat-share", "location", "crash-reports", "analytics"}, granted: []string{"push", "analytics"}},
		"Review": {cats: loadBase(t), state: message(localestest.Base, "agreed", "2026-11-29T04:27:33.512Z", "push"), open: true, mode: consentview.GateAsk, review: true,
			asked: []string{"push", "wechat-share", "location", "crash-reports", "analytics"}, granted: []string{"push"}},
		// Under 2026-12, location changed and sensors is new: a location
		// the person allowed is asked again, starting on.
		"ReaskChangedAndNew": {cats: withLater(t), state: message(localestest.Base, "agreed", "2026-11-29T04:27:33.512Z", "location", "push"), mode: consentview.GateReask,
			asked: []string{"location", "sensors"}, granted: []string{"location"}},
		// A refused location is not asked again; only what is new is.
		"ReaskNewOnly": {cats: withLater(t), state: message(localestest.Base, "agreed", "2026-11-01T00:00:00Z", "push"), mode: consentview.GateReask,
			asked: []string{"sensors"}},
		// A refusal less than 48 hours ago: the current choice, not a re-ask.
		"QuietPeriod": {cats: withLater(t), state: message(localestest.Base, "declined", "2026-12-19T12:00:00Z"), mode: consentview.GateCurrent,
			asked: []string{"push", "wechat-share", "location", "crash-reports", "analytics", "sensors"}},
	} {
		t.Run(name, func(t *testing.T) {
			var history []consentview.Decision
			if tc.state != nil {
				d, err := tc.cats.ParseHostState(state(t, tc.state), now)
				require.NoError(t, err)
				history = append(history, *d)
			}
			v := tc.cats.Gate(texts.En, page, history, tc.open, now)
			assert.Equal(t, tc.mode, v.Mode)
			assert.Equal(t, tc.review, v.Review)
			var asked, granted []string
			for _, p := range v.Optional {
				asked = append(asked, p.ID)
				if p.Granted {
					granted = append(granted, p.ID)
				}
			}
			assert.Equal(t, tc.asked, asked)
			assert.Equal(t, tc.granted, granted)
			assert.Equal(t, tc.cats.Latest.Version(), v.PolicyVersion)
		})
	}
	t.Run("ReaskSaysWhatChanged", func(t *testing.T) {
		c := withLater(t)
		d, err := c.ParseHostState(state(t, message(localestest.Base, "agreed", "2026-11-29T04:27:33.512Z", "location", "push")), now)
		require.NoError(t, err)
		v := c.Gate(texts.En, page, []consentview.Decision{*d}, false, now)
		require.Len(t, v.Optional, 2)
		loc, sensors := v.Optional[0], v.Optional[1]
		assert.True(t, loc.Changed && loc.WasGranted && !loc.New)
		require.NotNil(t, loc.Was)
		assert.NotEmpty(t, loc.Was.Added, "the location purpose now collects more")
		assert.True(t, sensors.New && !sensors.Granted)
		assert.Equal(t, localestest.Base, v.AcceptedVersion)
		assert.Equal(t, map[string]bool{"push": true, "wechat-share": false, "crash-reports": false, "analytics": false}, v.Current)
		assert.NotEmpty(t, v.Kept)
	})
}

func TestSettingsFromHostState(t *testing.T) {
	c := loadBase(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	d, err := c.ParseHostState(state(t, message(localestest.Base, "agreed", "2026-11-29T04:27:33.512Z", "location")), now)
	require.NoError(t, err)
	v := c.Settings(texts.ZhHans, consentview.SettingsPage{PrivacyURL: "/privacy", GateURL: "/consent"}, []consentview.Decision{*d})
	assert.True(t, v.HasDecision)
	assert.Equal(t, "agreed", v.Decision)
	assert.Equal(t, "2026-11-29T04:27:33Z", v.DecidedAt)
	on := map[string]bool{}
	for _, p := range v.Optional {
		on[p.ID] = p.Granted
		assert.Equal(t, "2026-11-29T04:27:33Z", p.Since, p.ID)
	}
	assert.Equal(t, map[string]bool{"push": false, "wechat-share": false, "location": true, "crash-reports": false, "analytics": false}, on)
	require.Len(t, v.History, 1)
	assert.Equal(t, "0d6f5b0e-8a52-4c33-9a57-0c7f2f8e2a10", v.History[0].ReceiptID)
}

// TestChangeSettings is the one rule of a settings change, which the
// server's settings post, the bundle's order endpoint and the wasm share:
// only purposes turned off is a withdrawal, anything turned on an update,
// no change records nothing.
func TestChangeSettings(t *testing.T) {
	c := loadBase(t)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	version := c.Latest.Version()
	d, err := c.ParseHostState(state(t, message(version, "agreed", "2026-11-29T04:27:33Z", "push", "location")), now)
	require.NoError(t, err)
	host := []consentview.Decision{*d}
	for _, tc := range []struct {
		name    string
		history []consentview.Decision
		action  string
		on      []consent.PurposeID
		changed bool
		kind    consent.Kind
		granted []consent.PurposeID
		err     bool
	}{
		{"OneOff", host, "save", []consent.PurposeID{"push"}, true, consent.KindWithdrawn, []consent.PurposeID{"push"}, false},
		{"OneOnOneOff", host, "save", []consent.PurposeID{"push", "analytics"}, true, consent.KindUpdated, []consent.PurposeID{"push", "analytics"}, false},
		{"OneOn", host, "save", []consent.PurposeID{"push", "location", "analytics"}, true, consent.KindUpdated, []consent.PurposeID{"push", "location", "analytics"}, false},
		{"WithdrawAll", host, "withdraw-all", []consent.PurposeID{"push"}, true, consent.KindWithdrawn, nil, false},
		{"Unchanged", host, "save", []consent.PurposeID{"location", "push"}, false, "", nil, false},
		{"UnknownActionSaves", host, "bogus", []consent.PurposeID{"push"}, true, consent.KindWithdrawn, []consent.PurposeID{"push"}, false},
		{"NoDecisionStartsRefused", nil, "save", []consent.PurposeID{"analytics"}, true, consent.KindUpdated, []consent.PurposeID{"analytics"}, false},
		{"NoDecisionNothingOn", nil, "save", nil, false, "", nil, false},
		{"UnknownPurpose", host, "save", []consent.PurposeID{"nope"}, false, "", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed, err := c.ChangeSettings(tc.history, tc.action, tc.on, texts.En, now)
			if tc.err {
				require.Error(t, err)
				assert.Equal(t, errs.Unprocessable, errs.Code(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.changed, changed)
			if !changed {
				return
			}
			assert.Equal(t, tc.kind, got.Kind)
			assert.Equal(t, consent.SurfaceSettings, got.Surface)
			assert.Equal(t, version, got.PolicyVersion)
			require.NoError(t, c.Latest.CheckDecision(got))
			var granted []consent.PurposeID
			for _, ch := range got.Choices {
				if ch.Granted && !ch.Required {
					granted = append(granted, ch.Purpose)
				}
			}
			assert.ElementsMatch(t, tc.granted, granted)
		})
	}
}

// TestGateDecisionsResolvedOnThePage holds the kinds a gate page names for
// its buttons (GateView.Decisions, which gate.js puts in the bridge message
// at the tap) to the kinds of the decisions the gate's rule makes when the
// button is pressed, whatever the person ticks: first launch, review, a
// re-ask that keeps answers on and one that keeps none.
func TestGateDecisionsResolvedOnThePage(t *testing.T) {
	now := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		cats  *consentview.Catalogues
		state map[string]any // nil: no state
		open  bool
		mode  string
		want  map[string]string
	}{
		{"FirstLaunch", loadBase(t), nil, false, consentview.GateAsk,
			map[string]string{"agree": "agreed", "decline": "declined"}},
		{"Review", loadBase(t), message(localestest.Base, "agreed", "2026-11-29T04:27:33.512Z", "push"), true, consentview.GateAsk,
			map[string]string{"agree": "agreed", "decline": "declined"}},
		{"ReaskKeepsAnswers", withLater(t), message(localestest.Base, "agreed", "2026-11-29T04:27:33.512Z", "location", "push"), false, consentview.GateReask,
			map[string]string{"agree": "agreed", "decline": "withdrawn"}},
		{"ReaskKeepsNothing", withLater(t), message(localestest.Base, "agreed", "2026-11-29T04:27:33.512Z", "location"), false, consentview.GateReask,
			map[string]string{"agree": "agreed", "decline": "declined"}},
		{"Standing", loadBase(t), message(localestest.Base, "agreed", "2026-11-29T04:27:33.512Z", "push"), false, consentview.GateCurrent, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var history []consentview.Decision
			if tc.state != nil {
				d, err := tc.cats.ParseHostState(state(t, tc.state), now)
				require.NoError(t, err)
				history = append(history, *d)
			}
			v := tc.cats.Gate(texts.En, page, history, tc.open, now)
			require.Equal(t, tc.mode, v.Mode)
			assert.Equal(t, tc.want, v.Decisions)
			var asked []consent.PurposeID
			for _, p := range v.Optional {
				asked = append(asked, consent.PurposeID(p.ID))
			}
			// Every way of ticking the boxes shown: none, each alone, all.
			tickings := [][]consent.PurposeID{nil, asked}
			for _, id := range asked {
				tickings = append(tickings, []consent.PurposeID{id})
			}
			for action, kind := range tc.want {
				for _, ticked := range tickings {
					f := consentview.GateForm{Action: action, Reask: v.Mode == consentview.GateReask, Ticked: ticked, Adult: true}
					d, failure, err := tc.cats.GateDecision(f, history, texts.En, now.Add(time.Minute))
					require.NoError(t, err)
					require.Empty(t, failure)
					assert.Equal(t, kind, string(d.Kind), "%s with %v ticked", action, ticked)
				}
			}
		})
	}
}
