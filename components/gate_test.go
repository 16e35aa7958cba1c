//go:build !wasm

package components

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

func askView() GateView {
	return GateView{
		Lang: "en", Mode: GateAsk, PolicyVersion: "2022-10",
		Required:   PurposeView{ID: "basic", Title: "Basic functions (required)", Required: true},
		Optional:   []PurposeView{{ID: "push", Title: "Push notifications", SDK: "Getui", Separate: true}, {ID: "location", Title: "Location services", SDK: "Amap", Separate: true}},
		PrivacyURL: "/privacy?lang=en", AgreementURL: "https://example.com/agreement", SettingsURL: "/settings/privacy?lang=en",
		HostState: "eyJ9", Ticket: testTicket,
	}
}

// testTicket has a ticket's shape; only the server checks its mac.
const testTicket = "t1.6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b.sub_abcdefghijklmnopqrstuvwxyz.1764390000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

// fake swaps in a fresh fake browser for one test.
func fake(t *testing.T) *fakeBrowser {
	t.Helper()
	f := &fakeBrowser{}
	old := web
	web = f
	t.Cleanup(func() { web = old })
	return f
}

func render(t *testing.T, c app.Composer) string {
	t.Helper()
	e := app.NewTestEngine()
	require.NoError(t, e.Load(c))
	e.ConsumeAll()
	return app.HTMLString(c)
}

// attrs returns the attributes of the element with id in a rendered page.
func attrs(t *testing.T, page, id string) map[string]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var found map[string]string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			a := map[string]string{}
			for _, at := range n.Attr {
				a[at.Key] = at.Val
			}
			if a["id"] == id {
				found = a
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	require.NotNil(t, found, "no element #%s", id)
	return found
}

func has(a map[string]string, k string) bool {
	_, ok := a[k]
	return ok
}

func TestGateRender(t *testing.T) {
	t.Run("NothingPreTicked", func(t *testing.T) {
		page := render(t, &Gate{view: askView(), loaded: true})
		for _, id := range []string{"kc-p-push", "kc-p-location", "kc-adult"} {
			assert.False(t, has(attrs(t, page, id), "checked"), id)
		}
		assert.False(t, has(attrs(t, page, "kc-gate-choices"), "open"), "the details start closed")
		dialog := attrs(t, page, "kc-gate-dialog")
		assert.Equal(t, "dialog", dialog["role"])
		// HTMLString writes a "true" attribute bare; the browser test
		// reads aria-modal="true".
		assert.True(t, has(dialog, "aria-modal"))
		assert.Equal(t, "kc-gate-title", dialog["aria-labelledby"])
		assert.Contains(t, page, "Separate consent")
	})
	t.Run("AgreeUnavailableUntilAdult", func(t *testing.T) {
		page := render(t, &Gate{view: askView(), loaded: true})
		assert.True(t, has(attrs(t, page, "kc-agree"), "aria-disabled"))
		assert.Contains(t, attrs(t, page, "kc-agree")["aria-describedby"], "kc-agree-why")
		assert.Contains(t, page, "Agree becomes available once you confirm")

		page = render(t, &Gate{view: askView(), loaded: true, adult: true})
		assert.False(t, has(attrs(t, page, "kc-agree"), "aria-disabled"))
		assert.True(t, has(attrs(t, page, "kc-adult"), "checked"))
	})
	t.Run("ReaskMarksChanges", func(t *testing.T) {
		v := askView()
		v.Mode, v.AcceptedVersion = GateReask, "2022-10"
		v.Optional = []PurposeView{{ID: "sensors", Title: "Behaviour analytics", New: true, Changed: true}}
		html := render(t, &Gate{view: v, loaded: true})
		assert.Contains(t, html, "Our privacy policy has changed")
		assert.Contains(t, html, ">New<")
		assert.NotContains(t, html, "kc-p-push")
	})
}

func TestGateDecide(t *testing.T) {
	t.Run("ErrAdultNotConfirmed", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true, ticked: []string{"push"}}
		g.Decide(app.Context{}, "agree")
		assert.Empty(t, f.posted, "nothing is posted")
		assert.Equal(t, "gate_error_adult", g.view.Error)
		assert.Equal(t, []string{"kc-adult"}, f.focused)
	})
	t.Run("AgreePostsExactlyTicked", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true}
		g.Toggle("location", true)
		g.Toggle("push", true)
		g.Toggle("push", false)
		g.adult = true
		g.Decide(app.Context{}, "agree")
		require.Len(t, f.posted, 1)
		assert.Equal(t, "/consent", f.paths[0])
		assert.Equal(t, url.Values{"lang": {"en"}, "mode": {"ask"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"location"}, "state": {"eyJ9"}, "ticket": {testTicket}, "device": {"1"}}, f.posted[0], "the page's ticket, and the device signs")
		g.Decide(app.Context{}, "agree")
		assert.Len(t, f.posted, 1, "no second post while one is under way")
	})
	t.Run("DeclineNeedsNoAdult", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true}
		g.Decide(app.Context{}, "decline")
		require.Len(t, f.posted, 1)
		assert.Equal(t, "decline", f.posted[0].Get("action"))
	})
}

func TestGateOutcome(t *testing.T) {
	done := askView()
	done.Mode, done.Decision = GateDone, "declined"
	done.Bridge = &BridgeMessage{Type: BridgeType, Decision: "declined", PolicyVersion: "2022-10", Purposes: map[string]bool{"basic": true, "push": false}, ReceiptID: "0b6f4f7e-0000-4000-8000-000000000000"}
	ok, err := json.Marshal(map[string]any{"view": done})
	require.NoError(t, err)

	t.Run("OK", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true, busy: true}
		g.Outcome(200, ok, nil)
		assert.False(t, g.busy)
		assert.Equal(t, GateDone, g.view.Mode)
		require.Len(t, f.delivered, 1, "exactly one message to the host")
		assert.Equal(t, *done.Bridge, f.delivered[0])
		assert.Contains(t, render(t, g), `data-decision="declined"`)
	})
	t.Run("ErrUnprocessable", func(t *testing.T) {
		f := fake(t)
		v := askView()
		v.HostState = ""
		body, _ := json.Marshal(map[string]any{"view": v, "error": "gate_error_adult"})
		g := &Gate{view: askView(), loaded: true}
		g.Outcome(422, body, nil)
		assert.Empty(t, f.delivered)
		assert.Equal(t, "gate_error_adult", g.view.Error)
		assert.Equal(t, "eyJ9", g.view.HostState, "the host's state survives")
	})
	t.Run("ErrNetwork", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true}
		g.Outcome(0, nil, errors.New("offline"))
		assert.Empty(t, f.delivered)
		assert.Equal(t, "gate_error_network", g.view.Error)
		assert.Equal(t, GateAsk, g.view.Mode)
	})
}
