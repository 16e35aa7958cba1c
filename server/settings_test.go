package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/kaiconn/consent/appconsent"
	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func settingsState(t *testing.T, page string) components.SettingsView {
	t.Helper()
	var v components.SettingsView
	require.NoError(t, json.Unmarshal([]byte(scriptJSON(t, page, "kc-state")), &v))
	return v
}

func TestSettings(t *testing.T) {
	s := testServer(t)
	now := time.Now()
	// A browser that agreed on the gate: its decision cookie and, since
	// issue 8, its subject credential, whose chain holds that decision.
	b := decide(t, s, "/consent", browser{}, url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push", "location"}})
	cookie, sub := b.cookie, b.sub
	agreedID := decoded(t, s, cookie)[0].ReceiptID

	t.Run("ShowsCurrentChoices", func(t *testing.T) {
		res := do(t, s, req{method: "GET", target: "/settings/privacy?lang=en", cookie: cookie, sub: sub})
		require.Equal(t, http.StatusOK, res.StatusCode)
		page := bodyOf(t, res)
		v := settingsState(t, page)
		assert.True(t, v.HasDecision)
		checked := map[string]bool{}
		for _, in := range inputs(t, page) {
			if in["name"] == "purpose" {
				_, checked[in["value"]] = in["checked"]
			}
		}
		assert.Equal(t, map[string]bool{"push": true, "location": true, "wechat-share": false, "crash-reports": false, "analytics": false}, checked)
		assert.Contains(t, page, `href="/privacy?lang=en"`, "the policy one tap away")
		assert.Contains(t, page, `id="kc-sharing"`)
		assert.Contains(t, page, "AutoNavi Software Co., Ltd. (Amap)")
		require.Len(t, v.History, 1)
		assert.Equal(t, agreedID, v.History[0].ReceiptID)
		assert.NotEmpty(t, v.Ticket, "the form carries a ticket")
		assert.NotEmpty(t, v.Optional[0].Since)
	})

	t.Run("NoDecision", func(t *testing.T) {
		res := do(t, s, req{method: "GET", target: "/settings/privacy?lang=zh-Hans"})
		page := bodyOf(t, res)
		assert.False(t, settingsState(t, page).HasDecision)
		for _, in := range inputs(t, page) {
			_, checked := in["checked"]
			assert.False(t, checked, in["id"])
		}
		// No receipt yet: no link to one in the markup, hidden or not
		// (it would answer 404), and no developer words on the screen.
		assert.NotContains(t, page, "receipts.json")
		assert.NotContains(t, page, "kaiconn-verify")
		assert.NotContains(t, page, "jwks")
	})

	// A host's state carries no time per purpose: a granted switch then
	// says it is allowed, never "Off: never allowed" beside a switch on.
	t.Run("HostStateWithoutTimesSaysAllowed", func(t *testing.T) {
		st := hostStateParam(t, map[string]any{"type": "consent", "decision": "agreed", "policyVersion": localestest.Base, "receiptId": agreedID,
			"purposes": map[string]bool{"basic": true, "push": true, "wechat-share": false, "location": false, "crash-reports": false, "analytics": false}})
		page := bodyOf(t, do(t, s, req{method: "GET", target: "/settings/privacy?lang=en&state=" + st}))
		assert.Equal(t, "Allowed", text(node(t, page, "kc-p-push-since")))
		assert.Equal(t, "on", attr(node(t, page, "kc-p-push-since"), "data-state"))
		assert.Equal(t, "Off: never allowed", text(node(t, page, "kc-p-location-since")))
	})

	t.Run("DownloadsOnceDecided", func(t *testing.T) {
		page := bodyOf(t, do(t, s, req{method: "GET", target: "/settings/privacy?lang=zh-Hans", cookie: cookie, sub: sub}))
		assert.Equal(t, "/settings/privacy/receipts.json", attr(node(t, page, "kc-download"), "href"))
		assert.Equal(t, http.StatusOK, do(t, s, req{method: "GET", target: "/settings/privacy/receipts.json", cookie: cookie, sub: sub}).StatusCode, "and it answers")
		assert.NotContains(t, page, "kaiconn-verify")
		assert.NotContains(t, page, "jwks")
	})

	post := func(form url.Values, header map[string]string) *http.Response {
		return do(t, s, req{method: "POST", target: "/settings/privacy", cookie: cookie, sub: sub, form: form, header: header})
	}

	t.Run("Withdraw", func(t *testing.T) {
		res := post(url.Values{"lang": {"en"}, "action": {"save"}, "purpose": {"location"}}, nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		h := decoded(t, s, appCookie(res).Value)
		require.Len(t, h, 2)
		assert.Equal(t, consent.KindWithdrawn, h[0].Kind)
		assert.Equal(t, consent.SurfaceSettings, h[0].Surface)
		assert.False(t, h[0].Granted("push"))
		assert.True(t, h[0].Granted("location"))

		loc := res.Header.Get("Location")
		page := bodyOf(t, do(t, s, req{method: "GET", target: loc, cookie: appCookie(res).Value}))
		var m components.BridgeMessage
		require.NoError(t, json.Unmarshal([]byte(scriptJSON(t, page, "kc-bridge")), &m))
		assert.Equal(t, "withdrawn", m.Decision)
		assert.Equal(t, h[0].ReceiptID, m.ReceiptID)
		assert.False(t, m.Purposes["push"])
		assert.True(t, m.Purposes["basic"])
	})

	t.Run("WithdrawAll", func(t *testing.T) {
		res := post(url.Values{"action": {"withdraw-all"}, "purpose": {"location"}}, nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		d := decoded(t, s, appCookie(res).Value)[0]
		assert.Equal(t, consent.KindWithdrawn, d.Kind)
		assert.False(t, d.Granted("push"))
		assert.False(t, d.Granted("location"))
	})

	t.Run("Update", func(t *testing.T) {
		res := post(url.Values{"action": {"save"}, "purpose": {"push", "analytics"}}, map[string]string{"Accept": "application/json"})
		require.Equal(t, http.StatusOK, res.StatusCode)
		var out components.Outcome[components.SettingsView]
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		require.NotNil(t, out.View.Bridge)
		assert.Equal(t, "updated", out.View.Bridge.Decision)
		assert.Equal(t, map[string]bool{"basic": true, "push": true, "analytics": true, "location": false, "wechat-share": false, "crash-reports": false}, out.View.Bridge.Purposes)
		assert.Len(t, out.View.History, 2)
	})

	t.Run("Unchanged", func(t *testing.T) {
		res := post(url.Values{"action": {"save"}, "purpose": {"push", "location"}}, nil)
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Nil(t, appCookie(res), "nothing recorded")
		assert.Contains(t, res.Header.Get("Location"), "unchanged=1")
	})

	t.Run("ErrUnknownPurpose", func(t *testing.T) {
		res := post(url.Values{"action": {"save"}, "purpose": {"contacts"}}, nil)
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Nil(t, appCookie(res))
	})

	t.Run("HistoryKeepsTheNewest", func(t *testing.T) {
		var h []any
		for i := range appconsent.HistoryLen {
			h = append(h, entry(consent.KindUpdated, localestest.Base, now.Add(-time.Duration(i+1)*time.Hour), "push"))
		}
		res := do(t, s, req{method: "POST", target: "/settings/privacy", cookie: cookieValue(t, s, map[string]any{"v": 1, "h": h}), form: url.Values{"action": {"withdraw-all"}}})
		got := decoded(t, s, appCookie(res).Value)
		require.Len(t, got, appconsent.HistoryLen)
		assert.Equal(t, consent.KindWithdrawn, got[0].Kind)
		assert.Equal(t, h[appconsent.HistoryLen-2].(map[string]any)["r"], got[appconsent.HistoryLen-1].ReceiptID)
	})
}
