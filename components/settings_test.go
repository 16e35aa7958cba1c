//go:build !wasm

package components

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/kaiconn/consent/lang"
)

// testTicket has a ticket's shape; only the server checks its mac.
const testTicket = "t1.6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b.sub_abcdefghijklmnopqrstuvwxyz.1764390000000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

func settingsView() SettingsView {
	return SettingsView{
		Lang: "zh-Hans", PolicyVersion: "2022-10", LatestVersion: "2022-10", HasDecision: true,
		Decision: "agreed", DecidedAt: "2026-11-01T10:00:00Z",
		Required:   PurposeView{ID: "basic", Title: "基本功能(必需)", Required: true, Granted: true},
		Optional:   []PurposeView{{ID: "push", Title: "消息推送", Granted: true, Since: "2026-11-01T10:00:00Z"}, {ID: "location", Title: "位置服务", Since: "2026-11-01T10:00:00Z"}},
		History:    []HistoryView{{Kind: "agreed", At: "2026-11-01T10:00:00Z", PolicyVersion: "2022-10", Granted: []string{"消息推送"}, ReceiptID: "r1"}},
		PrivacyURL: "/privacy?lang=zh-Hans", Ticket: testTicket,
		// As the server hands them: the wasm carries no message files.
		Strings: lang.DefaultBundle().Localizer("zh-Hans").Messages(SettingsMessages...),
	}
}

// ticked reads a tick box as the browser shows it: go-app sets the DOM
// property from checked="false" as well, so the attribute's value counts.
func ticked(a map[string]string) bool {
	v, ok := a["checked"]
	return ok && v != "false"
}

// textOf returns the text of the element with id in a rendered page, each
// text node trimmed of the test encoder's indentation.
func textOf(t *testing.T, page, id string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var b strings.Builder
	var walk func(n *html.Node, in bool)
	walk = func(n *html.Node, in bool) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "id" && a.Val == id {
					in = true
				}
			}
		}
		if in && n.Type == html.TextNode {
			b.WriteString(strings.TrimSpace(n.Data))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, in)
		}
	}
	walk(doc, false)
	return b.String()
}

func TestSettings(t *testing.T) {
	t.Run("RendersRealChoices", func(t *testing.T) {
		s := &Settings{view: settingsView(), strings: settingsView().Strings, loaded: true}
		s.resetSwitches()
		page := render(t, s)
		assert.True(t, ticked(attrs(t, page, "kc-p-push")), "the person's own grant")
		assert.False(t, ticked(attrs(t, page, "kc-p-location")))
		assert.Equal(t, "自2026年11月1日 18:00（北京时间）起允许", textOf(t, page, "kc-p-push-since"), "Beijing time for a Chinese reader")
		assert.Contains(t, page, `datetime="2026-11-01T10:00:00Z"`)
		assert.Contains(t, page, "您允许了2项可选服务中的1项：消息推送。")
		assert.Contains(t, page, "依据隐私政策2022-10版")
	})
	// A part rendered anew is a new node: the markup's checked is the
	// stored answer, so the component puts back the ticks the person made
	// and has not saved, and the history's disclosure as it was.
	t.Run("RestoreKeepsUnsavedFlips", func(t *testing.T) {
		f := fake(t)
		s := &Settings{view: settingsView(), strings: settingsView().Strings, loaded: true}
		s.resetSwitches()
		s.Toggle("push", false)
		s.Toggle("location", true)
		page := render(t, s)
		assert.True(t, ticked(attrs(t, page, "kc-p-push")), "the markup says what is stored")
		s.restore()
		assert.Equal(t, map[string]bool{"kc-p-push.checked": false, "kc-p-location.checked": true}, f.props)
	})
	t.Run("RestoreKeepsTheHistoryOpen", func(t *testing.T) {
		for _, open := range []bool{false, true} {
			t.Run(strconv.FormatBool(open), func(t *testing.T) {
				f := fake(t)
				f.props = map[string]bool{"kc-history-more.open": open}
				s := &Settings{view: settingsView(), strings: settingsView().Strings, loaded: true, busy: true}
				body, _ := json.Marshal(map[string]any{"view": settingsView()})
				s.Outcome(200, body, nil)
				f.props = nil // the history rendered anew, closed
				s.restore()
				assert.Equal(t, open, f.props["kc-history-more.open"])
			})
		}
	})
	// The buttons are the view's markup; a press reaches the component by
	// the button's id, and only its own buttons stop the form's post.
	t.Run("Click", func(t *testing.T) {
		for _, tc := range []struct {
			id      string
			handled bool
			action  string
		}{
			{"kc-save", true, "save"},
			{"kc-withdraw-all", true, "withdraw-all"},
			{"kc-right-delete-open", false, ""},
			{"", false, ""},
		} {
			t.Run(tc.id, func(t *testing.T) {
				f := fake(t)
				s := &Settings{view: settingsView(), strings: settingsView().Strings, loaded: true}
				s.resetSwitches()
				assert.Equal(t, tc.handled, s.Click(app.Context{}, tc.id))
				if tc.action == "" {
					assert.Empty(t, f.posted)
					return
				}
				require.Len(t, f.posted, 1)
				assert.Equal(t, tc.action, f.posted[0].Get("action"))
			})
		}
	})
	t.Run("Form", func(t *testing.T) {
		f := fake(t)
		s := &Settings{view: settingsView(), strings: settingsView().Strings, loaded: true}
		s.resetSwitches()
		s.Toggle("push", false)
		s.Toggle("location", true)
		s.Save(app.Context{}, "save")
		require.Len(t, f.posted, 1)
		assert.Equal(t, "/settings/privacy", f.paths[0])
		assert.Equal(t, url.Values{"lang": {"zh-Hans"}, "action": {"save"}, "purpose": {"location"}, "ticket": {testTicket}, "device": {"1"}}, f.posted[0])
	})
	// The server's order reaches outbox.js as it came: the wasm neither
	// reads nor rebuilds it.
	t.Run("OrderGoesToTheOutboxAsItCame", func(t *testing.T) {
		f := fake(t)
		order := `{"v":2,"receipt":{"id":"0d6f9c4e-5b7a-4c1e-9f3a-2b8d7e6c5a41","prevHash":""},"ticket":"t1.x","required":["basic"]}`
		for _, tc := range []struct {
			name   string
			status int
			body   string
			want   []string
		}{
			{"Saved", 200, `{"view":` + mustJSON(t, settingsView()) + `,"receipt":` + order + `}`, []string{order}},
			{"ServerAttested", 200, `{"view":` + mustJSON(t, settingsView()) + `}`, nil},
			{"ErrRefused", 422, `{"view":` + mustJSON(t, settingsView()) + `,"error":"settings_error_purpose","receipt":` + order + `}`, nil},
			{"ErrNoAnswer", 0, ``, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				f.orders = nil
				s := &Settings{view: settingsView(), strings: settingsView().Strings, loaded: true, busy: true}
				recordOrder(s.Outcome(tc.status, []byte(tc.body), nil))
				assert.Equal(t, tc.want, f.orders)
				assert.False(t, s.busy)
			})
		}
	})
	// Before a decision there are no receipts, and the page offers no
	// download that would answer 404, not even a hidden one; the first
	// decision brings it without a reload.
	t.Run("FirstDecisionOffersTheDownload", func(t *testing.T) {
		fake(t)
		fresh := settingsView()
		fresh.HasDecision, fresh.Decision, fresh.DecidedAt, fresh.History = false, "", "", nil
		s := &Settings{view: fresh, strings: fresh.Strings, loaded: true, busy: true}
		s.resetSwitches()
		before := render(t, s)
		assert.Equal(t, "no", attrs(t, before, "main")["data-decided"])
		assert.NotContains(t, before, "receipts.json")
		body, _ := json.Marshal(map[string]any{"view": settingsView()})
		s.Outcome(200, body, nil)
		after := &Settings{view: s.view, strings: s.strings, loaded: true} // a component renders once here
		after.resetSwitches()
		page := render(t, after)
		assert.Equal(t, "yes", attrs(t, page, "main")["data-decided"])
		assert.Equal(t, "/settings/privacy/receipts.json", attrs(t, page, "kc-download")["href"])
	})
	// After "withdraw all", every box shows the stored refusal, the text
	// says so, and a Save that follows starts from that state.
	t.Run("WithdrawAllUnticks", func(t *testing.T) {
		f := fake(t)
		v := settingsView()
		for i := range v.Optional {
			v.Optional[i].Granted = false
			v.Optional[i].Since = "2026-11-02T10:00:00Z"
		}
		v.Saved, v.Decision, v.DecidedAt = "withdrawn", "withdrawn", "2026-11-02T10:00:00Z"
		v.Bridge = &BridgeMessage{Type: BridgeType, Decision: "withdrawn", Purposes: map[string]bool{"basic": true, "push": false, "location": false}, ReceiptID: "r2"}
		body, _ := json.Marshal(map[string]any{"view": v})
		s := &Settings{view: settingsView(), strings: settingsView().Strings, loaded: true, busy: true}
		s.resetSwitches()
		s.Outcome(200, body, nil)
		require.Len(t, f.delivered, 1)
		assert.Equal(t, "withdrawn", f.delivered[0].Decision)
		assert.Empty(t, s.on, "switches follow the saved decision")
		page := render(t, s)
		assert.Contains(t, page, `data-kind="withdrawn"`)
		for _, id := range []string{"kc-p-push", "kc-p-location"} {
			assert.False(t, ticked(attrs(t, page, id)), id)
			assert.Equal(t, "off", attrs(t, page, id+"-since")["data-state"])
		}
		assert.Contains(t, page, "所有可选服务均已关闭")
		assert.Equal(t, "0", attrs(t, page, "kc-summary")["data-granted"])
		s.Toggle("location", true)
		s.Save(app.Context{}, "save")
		assert.Equal(t, []string{"location"}, f.posted[0]["purpose"], "Save sends what the boxes show")
	})
}

func TestLocalTime(t *testing.T) {
	for _, tc := range []struct{ name, at, lang, want string }{
		{"ChineseReaderBeijingTime", "2026-11-29T12:30:00Z", "zh-Hans", "2026年11月29日 20:30（北京时间）"},
		{"ChineseReaderNextDay", "2026-11-29T18:05:00Z", "zh-Hans", "2026年11月30日 02:05（北京时间）"},
		{"EnglishReaderUTC", "2026-11-29T12:30:00Z", "en", "29 Nov 2026, 12:30 UTC"},
		{"OffsetInput", "2026-11-29T20:30:00+08:00", "en", "29 Nov 2026, 12:30 UTC"},
		{"NotRFC3339", "2026-11-29 12:30 UTC", "en", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, LocalTime(tc.at, tc.lang))
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
