//go:build !wasm

package components

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/locales/localestest"
)

// bundleSettings is the settings' component on a page of the app bundle
// taken over for the host's state: push allowed, everything else off.
func bundleSettings(t *testing.T) *Settings {
	t.Helper()
	base := localestest.Catalogue(t, localestest.Base)
	cats := &consentview.Catalogues{ByVersion: map[string]*consent.Catalogue{localestest.Base: base}, Latest: base}
	version := cats.Latest.Version()
	state, err := json.Marshal(map[string]any{"v": 2, "type": "consent", "decision": "agreed", "policyVersion": version,
		"purposes":  map[string]bool{"basic": true, "push": true, "wechat-share": false, "location": false, "crash-reports": false, "analytics": false},
		"receiptId": "0d6f5b0e-8a52-4c33-9a57-0c7f2f8e2a10", "at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
	require.NoError(t, err)
	raw := base64.RawURLEncoding.EncodeToString(state)
	d, err := cats.ParseHostState(raw, time.Now())
	require.NoError(t, err)
	v := cats.Settings("en", consentview.SettingsPage{PrivacyURL: "../privacy/en.html", GateURL: "../consent/en.html"}, []consentview.Decision{*d})
	v.HostState = raw
	// The page of a server whose versions are not the ones the wasm was
	// built with hands it its catalogues; these tests run on the base
	// version, whatever locales/ ships.
	v.Catalogues, err = json.Marshal(cats)
	require.NoError(t, err)
	v.Strings = lang.DefaultBundle().Localizer("en").Messages(SettingsMessages...)
	s := &Settings{view: v, strings: v.Strings, loaded: true}
	s.resetSwitches()
	return s
}

// TestSettingsOnTheBundle: on a page of the app bundle a change is decided
// by the wasm with the settings' one rule, its bridge message goes to the
// host at once, and the order's form goes to bundle.js's queue: nothing is
// posted to the page's own origin.
func TestSettingsOnTheBundle(t *testing.T) {
	t.Run("OnThenOff", func(t *testing.T) {
		f := fake(t)
		f.bundle = true
		s := bundleSettings(t)
		first := s.view.HostState

		s.Toggle("analytics", true)
		s.Save(app.Context{}, "save")
		assert.Empty(t, f.posted, "no post to the bundle's origin")
		require.Len(t, f.delivered, 1, "the message at the tap")
		msg := f.delivered[0]
		assert.Equal(t, "updated", msg.Decision)
		assert.Equal(t, map[string]bool{"basic": true, "push": true, "wechat-share": false, "location": false, "crash-reports": false, "analytics": true}, msg.Purposes)
		assert.Equal(t, localestest.Base, msg.PolicyVersion)
		require.Len(t, f.queued, 1)
		version, rest, _ := strings.Cut(f.queued[0], " ")
		id, body, _ := strings.Cut(rest, " ")
		assert.Equal(t, msg.PolicyVersion, version)
		assert.Equal(t, msg.ReceiptID, id, "the order names the id the host was given")
		form, err := url.ParseQuery(body)
		require.NoError(t, err)
		assert.Equal(t, "settings", form.Get("surface"))
		assert.Equal(t, "save", form.Get("action"))
		assert.ElementsMatch(t, []string{"push", "analytics"}, form["purpose"])
		assert.Equal(t, first, form.Get("state"), "the order is decided from the state the page showed")
		assert.Equal(t, "updated", s.view.Saved)
		assert.Equal(t, []string{"push", "analytics"}, s.on)
		assert.Len(t, s.view.History, 2)

		// The next change starts from the one just made.
		s.Toggle("push", false)
		s.Toggle("analytics", false)
		s.Save(app.Context{}, "save")
		require.Len(t, f.delivered, 2)
		assert.Equal(t, "withdrawn", f.delivered[1].Decision)
		assert.False(t, f.delivered[1].Purposes["push"])
		require.Len(t, f.queued, 2)
		form2, err := url.ParseQuery(strings.SplitN(f.queued[1], " ", 3)[2])
		require.NoError(t, err)
		assert.NotEqual(t, first, form2.Get("state"))
		st, err := base64.RawURLEncoding.DecodeString(form2.Get("state"))
		require.NoError(t, err)
		assert.Contains(t, string(st), msg.ReceiptID, "the state is the message the host stored")
		assert.Len(t, s.view.History, 3)
		assert.Empty(t, f.posted)
	})
	t.Run("UnchangedRecordsNothing", func(t *testing.T) {
		f := fake(t)
		f.bundle = true
		s := bundleSettings(t)
		s.Save(app.Context{}, "save")
		assert.Empty(t, f.delivered)
		assert.Empty(t, f.queued)
		assert.Empty(t, f.posted)
		assert.Equal(t, consentview.SavedUnchanged, s.view.Saved)
	})
	t.Run("NotTheBundlePosts", func(t *testing.T) {
		f := fake(t)
		s := bundleSettings(t)
		s.Toggle("analytics", true)
		s.Save(app.Context{}, "save")
		assert.Empty(t, f.delivered, "the server's answer brings the message")
		assert.Empty(t, f.queued)
		require.Len(t, f.paths, 1)
		assert.Equal(t, "/settings/privacy", f.paths[0])
	})
}
