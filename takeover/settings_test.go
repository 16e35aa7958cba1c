//go:build !wasm

package takeover_test

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/takeover"
	"github.com/kaiconn/consent/views/settingsview"
)

// settingsPage is the data (#kc-state) of the settings page a server
// renders without state, as the app bundle ships it.
func settingsPage(t *testing.T, w world, l string) consentview.SettingsView {
	t.Helper()
	var page consentview.SettingsView
	require.NoError(t, json.Unmarshal([]byte(html.UnescapeString(script(w.get(t, "/settings/privacy?lang="+l), "kc-state"))), &page))
	require.Equal(t, consentview.RenderedNone, page.RenderedFor)
	return page
}

var ticketRE = regexp.MustCompile(`name="ticket" value="[^"]*"`)

// The settings the worker renders on a page rendered without state, for
// the host's state, are the server's own page for that state: the same
// view model (takeover.Settings) through the same templ view
// (views/settingsview), the parts no choice changes being the page's, for
// every kind of decision, a state of an older policy version, and both
// languages.
func TestSettingsWorkerSameAsServer(t *testing.T) {
	now := time.Now()
	for name, tc := range map[string]struct {
		later bool
		state func(t *testing.T) string
	}{
		"Agreed": {state: func(t *testing.T) string {
			return state(t, "agreed", localestest.Base, now.Add(-time.Hour), "location")
		}},
		"AgreedAll": {state: func(t *testing.T) string {
			return state(t, "agreed", localestest.Base, now.Add(-time.Hour), "push", "wechat-share", "location", "crash-reports", "analytics")
		}},
		"Declined": {state: func(t *testing.T) string { return state(t, "declined", localestest.Base, now.Add(-72*time.Hour)) }},
		"Updated": {state: func(t *testing.T) string {
			return state(t, "updated", localestest.Base, now.Add(-time.Hour), "push", "analytics")
		}},
		"Withdrawn": {state: func(t *testing.T) string {
			return state(t, "withdrawn", localestest.Base, now.Add(-time.Hour), "crash-reports")
		}},
		"OlderVersion": {later: true, state: func(t *testing.T) string {
			return state(t, "agreed", localestest.Base, now.Add(-72*time.Hour), "push")
		}},
	} {
		for _, l := range []string{"en", "zh-Hans"} {
			t.Run(name+"/"+l, func(t *testing.T) {
				w := newWorld(t, tc.later)
				st := tc.state(t)
				stateless := w.get(t, "/settings/privacy?lang="+l)
				page := settingsPage(t, w, l)
				cats, err := takeover.Catalogues(page.Catalogues)
				require.NoError(t, err)
				r := takeover.FirstSettings(cats, page, st, now)
				require.Empty(t, r.Error)
				assert.Equal(t, []string{st}, r.History, "the page shows the host's decision")
				server := mainOf(t, w.get(t, "/settings/privacy?lang="+l+"&state="+st))
				got := r.Main
				for _, id := range settingsview.KeepIDs() {
					// The page's own part (boot.js moves it in).
					got = strings.Replace(got, `<template `+settingsview.KeepAttr+`="`+id+`"></template>`, kept(t, stateless, id), 1)
				}
				// The ticket is minted per page.
				assert.Equal(t, ticketRE.ReplaceAllString(server, "TICKET"), ticketRE.ReplaceAllString(got, "TICKET"))
			})
		}
	}
}

// Where the server would ignore the state, the worker renders nothing and
// the page, a first launch's, stays: it then shows no decision.
func TestSettingsWorkerLeavesThePage(t *testing.T) {
	w := newWorld(t, false)
	page := settingsPage(t, w, "en")
	for name, st := range map[string]string{
		"NoState":       "",
		"InvalidState":  "e30",
		"FutureDecided": state(t, "agreed", localestest.Base, time.Now().Add(time.Hour), "push"),
	} {
		t.Run(name, func(t *testing.T) {
			r := takeover.FirstSettings(w.cats, page, st, time.Now())
			assert.Empty(t, r.Main)
			assert.Empty(t, r.Error)
			assert.NotNil(t, r.History, "a list, for the page")
			assert.Empty(t, r.History)
		})
	}
}

// ids are receipt ids made on the device, one after the other.
func ids(list ...string) func() string {
	return func() string {
		id := list[0]
		list = list[1:]
		return id
	}
}

const (
	firstID  = "6b1c3c8e-5f2a-4e7b-9a0c-1d2e3f405162"
	secondID = "7c2d4d9f-6a3b-4f8c-8b1d-2e3f40516273"
)

// A change on the bundle's settings is decided in the worker by the
// settings' one rule: its bridge message, the order's form for bundle.js's
// queue, and the view that follows, from which the next change starts.
func TestSettingsWorkerChange(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	w := newWorld(t, false)
	page := settingsPage(t, w, "en")
	host := state(t, "agreed", localestest.Base, now.Add(-time.Hour), "push")
	form := func(t *testing.T, o *takeover.SettingsOrder) url.Values {
		t.Helper()
		require.NotNil(t, o)
		f, err := url.ParseQuery(o.Body)
		require.NoError(t, err)
		return f
	}

	t.Run("OnThenOff", func(t *testing.T) {
		next := ids(firstID, secondID)
		r := takeover.AnswerSettings(w.cats, page, takeover.SettingsRequest{Action: "save", On: []string{"push", "analytics"}, History: []string{host}}, now, next)
		require.Empty(t, r.Error)
		require.NotNil(t, r.Bridge, "a message for the host")
		assert.Equal(t, "updated", r.Bridge.Decision)
		assert.Equal(t, map[string]bool{"basic": true, "push": true, "wechat-share": false, "location": false, "crash-reports": false, "analytics": true}, r.Bridge.Purposes)
		assert.Equal(t, localestest.Base, r.Bridge.PolicyVersion)
		assert.Equal(t, firstID, r.Bridge.ReceiptID)
		assert.Equal(t, "2026-12-06T10:00:00.000Z", r.Bridge.At)
		assert.Equal(t, &takeover.SettingsOrder{Body: r.Order.Body, ID: firstID, Version: localestest.Base}, r.Order, "the order names the id the host was given")
		f := form(t, r.Order)
		assert.Equal(t, "settings", f.Get("surface"))
		assert.Equal(t, "save", f.Get("action"))
		assert.Equal(t, "en", f.Get("lang"))
		assert.Equal(t, strconv.FormatInt(now.UnixMilli(), 10), f.Get("at"), "the tap's time")
		assert.ElementsMatch(t, []string{"push", "analytics"}, f["purpose"])
		assert.Equal(t, host, f.Get("state"), "the order is decided from the state the page showed")
		assert.Equal(t, "updated", r.Saved)
		require.Len(t, r.History, 2)
		assert.Equal(t, host, r.History[1])
		msg, err := json.Marshal(r.Bridge)
		require.NoError(t, err)
		assert.Equal(t, base64.RawURLEncoding.EncodeToString(msg), r.History[0], "the page shows the message the host stores")
		assert.Contains(t, r.Main, `id="kc-saved"`)
		assert.Contains(t, r.Main, `data-kind="updated"`)

		// The next change starts from the one just made.
		r2 := takeover.AnswerSettings(w.cats, page, takeover.SettingsRequest{Action: "save", On: nil, History: r.History}, now.Add(time.Minute), next)
		require.Empty(t, r2.Error)
		require.NotNil(t, r2.Bridge)
		assert.Equal(t, "withdrawn", r2.Bridge.Decision)
		assert.False(t, r2.Bridge.Purposes["push"])
		assert.False(t, r2.Bridge.Purposes["analytics"])
		assert.Equal(t, secondID, r2.Order.ID)
		assert.Equal(t, r.History[0], form(t, r2.Order).Get("state"), "the state is the message the host stored")
		require.Len(t, r2.History, 3)
		assert.Equal(t, r.History, r2.History[1:])
		assert.Equal(t, "withdrawn", r2.Saved)
	})
	t.Run("WithdrawAll", func(t *testing.T) {
		r := takeover.AnswerSettings(w.cats, page, takeover.SettingsRequest{Action: "withdraw-all", On: []string{"push", "analytics"}, History: []string{host}}, now, ids(firstID))
		require.Empty(t, r.Error)
		require.NotNil(t, r.Bridge)
		assert.Equal(t, "withdrawn", r.Bridge.Decision)
		assert.False(t, r.Bridge.Purposes["push"], "every optional purpose, whatever the switches say")
		assert.False(t, r.Bridge.Purposes["analytics"])
		assert.Equal(t, "withdraw-all", form(t, r.Order).Get("action"))
	})
	t.Run("UnchangedRecordsNothing", func(t *testing.T) {
		r := takeover.AnswerSettings(w.cats, page, takeover.SettingsRequest{Action: "save", On: []string{"push"}, History: []string{host}}, now, ids())
		require.Empty(t, r.Error)
		assert.Nil(t, r.Bridge)
		assert.Nil(t, r.Order)
		assert.Equal(t, consentview.SavedUnchanged, r.Saved)
		assert.Equal(t, []string{host}, r.History)
		assert.Contains(t, r.Main, `data-kind="unchanged"`)
	})
	t.Run("FirstDecisionWithoutState", func(t *testing.T) {
		r := takeover.AnswerSettings(w.cats, page, takeover.SettingsRequest{Action: "save", On: []string{"location"}, History: []string{}}, now, ids(firstID))
		require.Empty(t, r.Error)
		require.NotNil(t, r.Bridge)
		assert.True(t, r.Bridge.Purposes["location"])
		assert.False(t, form(t, r.Order).Has("state"), "no state to decide from")
		assert.Len(t, r.History, 1)
	})
	t.Run("UnknownPurpose", func(t *testing.T) {
		r := takeover.AnswerSettings(w.cats, page, takeover.SettingsRequest{Action: "save", On: []string{"push", "mind-reading"}, History: []string{host}}, now, ids())
		require.Empty(t, r.Error, "said on the page, as the server says it")
		assert.Nil(t, r.Bridge)
		assert.Nil(t, r.Order)
		assert.Contains(t, r.Main, `id="kc-settings-error"`)
		assert.Equal(t, []string{host}, r.History)
	})
	t.Run("Refused", func(t *testing.T) {
		for name, tc := range map[string]struct {
			cats *consentview.Catalogues
			req  takeover.SettingsRequest
			id   string
		}{
			"BadHistory":      {cats: w.cats, req: takeover.SettingsRequest{Action: "save", On: []string{"analytics"}, History: []string{"e30"}}, id: firstID},
			"OtherCatalogues": {cats: newWorld(t, true).cats, req: takeover.SettingsRequest{Action: "save", On: []string{"analytics"}, History: []string{host}}, id: firstID},
			"NoCatalogues":    {req: takeover.SettingsRequest{Action: "save", On: []string{"analytics"}}, id: firstID},
			"BadID":           {cats: w.cats, req: takeover.SettingsRequest{Action: "save", On: []string{"analytics"}, History: []string{host}}, id: "not-a-uuid"},
		} {
			t.Run(name, func(t *testing.T) {
				r := takeover.AnswerSettings(tc.cats, page, tc.req, now, ids(tc.id))
				assert.NotEmpty(t, r.Error)
				assert.Nil(t, r.Bridge, "nothing recorded")
				assert.Nil(t, r.Order)
				assert.Empty(t, r.Main, "the page keeps what it shows")
				assert.NotNil(t, r.History)
			})
		}
	})
}

// A settings page of a bundle built for the base version, handed the later
// version's texts (newer.js fetched and checked them), shows the settings
// the later server renders for the same state: its purposes, the version
// in force, and the link to review it. The parts no choice changes stay
// the bundle's own; here the later server's are put in their places, to
// compare the rest. A change is then decided under the later version.
func TestSettingsWorkerNewerSameAsServer(t *testing.T) {
	now := time.Now()
	old, later := newWorld(t, false), newWorld(t, true)
	texts, err := json.Marshal(later.cats)
	require.NoError(t, err)
	for name, st := range map[string]string{
		"FirstLaunch": "",
		"OlderState":  state(t, "agreed", localestest.Base, now.Add(-72*time.Hour), "location", "push"),
	} {
		for _, l := range []string{"en", "zh-Hans"} {
			t.Run(name+"/"+l, func(t *testing.T) {
				page := settingsPage(t, old, l)
				require.Equal(t, localestest.Base, page.LatestVersion)
				var history []string
				q := "/settings/privacy?lang=" + l
				if st != "" {
					history = []string{st}
					q += "&state=" + st
				}
				r := takeover.AnswerSettings(old.cats, page, takeover.SettingsRequest{Action: "show", History: history, Catalogues: string(texts)}, now, ids())
				require.Empty(t, r.Error)
				assert.Nil(t, r.Bridge, "showing decides nothing")
				serverPage := later.get(t, q)
				got := r.Main
				for _, id := range settingsview.KeepIDs() {
					got = strings.Replace(got, `<template `+settingsview.KeepAttr+`="`+id+`"></template>`, kept(t, serverPage, id), 1)
				}
				assert.Equal(t, ticketRE.ReplaceAllString(mainOf(t, serverPage), "TICKET"), ticketRE.ReplaceAllString(got, "TICKET"))
				assert.Contains(t, got, `data-purpose="sensors"`, "the later version's new purpose")
			})
		}
	}
	t.Run("ChangeUnderTheLaterVersion", func(t *testing.T) {
		page := settingsPage(t, old, "en")
		st := state(t, "agreed", localestest.Base, now.Add(-72*time.Hour), "push")
		r := takeover.AnswerSettings(old.cats, page, takeover.SettingsRequest{Action: "save", On: []string{"push", "sensors"}, History: []string{st}, Catalogues: string(texts)}, now, ids(firstID))
		require.Empty(t, r.Error)
		require.NotNil(t, r.Bridge)
		assert.Equal(t, localestest.Later, r.Bridge.PolicyVersion, "decided under the version shown")
		assert.True(t, r.Bridge.Purposes["sensors"])
		assert.Equal(t, localestest.Later, r.Order.Version)
	})
	t.Run("NotNewer", func(t *testing.T) {
		own, err := json.Marshal(old.cats)
		require.NoError(t, err)
		page := settingsPage(t, old, "en")
		for name, raw := range map[string]string{"SameVersion": string(own), "NotCatalogues": `{"latest":"2099-01"}`} {
			t.Run(name, func(t *testing.T) {
				r := takeover.AnswerSettings(old.cats, page, takeover.SettingsRequest{Action: "show", Catalogues: raw}, now, ids())
				assert.NotEmpty(t, r.Error)
				assert.Empty(t, r.Main, "the page keeps what it shows")
			})
		}
	})
}
