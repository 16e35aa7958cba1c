//go:build !wasm

package components_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/views"
)

// The wasm takes over /settings/privacy by rendering it again with go-app
// (components.Settings), from the server's own templ view of the state
// (views/settingsview) inside go-app's <main>; the page must not change
// under the person's finger when it does. For every state of the page, the
// component's <main> is the server's (views.Settings), element for element,
// attribute for attribute and word for word.
func TestSettingsSameDOMAsServer(t *testing.T) {
	const at = "2026-11-01T10:00:00Z"
	for _, l := range []string{lang.ZhHans, lang.En} {
		loc := lang.DefaultBundle().Localizer(l)
		base := func() components.SettingsView {
			return components.SettingsView{
				Lang: l, LatestVersion: "2022-10", PrivacyURL: "/privacy?lang=" + l, GateURL: "/consent?lang=" + l + "&open=1",
				Required: components.PurposeView{ID: "basic", Title: "基本功能（必需）", Required: true, Granted: true},
				Optional: []components.PurposeView{
					{ID: "push", Title: "消息推送", SDK: "个推SDK", Recipient: "每日互动", Use: "推送", Collects: "设备信息", PrivacyURL: "https://example.com/push"},
					{ID: "location", Title: "位置服务", SDK: "高德地图SDK", Separate: true, Recipient: "高德", Use: "定位", Collects: "位置信息"},
				},
				Strings: loc.Messages(components.SettingsMessages...),
			}
		}
		decided := func(kind string, granted ...string) components.SettingsView {
			v := base()
			v.HasDecision, v.Decision, v.DecidedAt, v.PolicyVersion = true, kind, at, "2022-10"
			for i := range v.Optional {
				v.Optional[i].Since = at
				v.Optional[i].Granted = slices.Contains(granted, v.Optional[i].ID)
			}
			v.History = []components.HistoryView{{Kind: kind, At: at, PolicyVersion: "2022-10", Granted: granted, ReceiptID: "0d6f9c4e-5b7a-4c1e-9f3a-2b8d7e6c5a41"}}
			return v
		}
		states := map[string]components.SettingsView{
			"NoDecision": base(),
			"RenderedWithoutState": func() components.SettingsView {
				v := base()
				v.RenderedFor = components.RenderedNone
				return v
			}(),
			"Agreed":   decided("agreed", "push"),
			"AllOn":    decided("agreed", "push", "location"),
			"Declined": decided("declined"),
			"HostState": func() components.SettingsView {
				v := decided("agreed", "location")
				v.HostState = "eyJ2IjoyfQ"
				return v
			}(),
			"Saved": func() components.SettingsView {
				v := decided("updated", "location")
				v.Saved, v.Ticket = "updated", "t1.x"
				return v
			}(),
			"Withdrawn": func() components.SettingsView { v := decided("withdrawn"); v.Saved = "withdrawn"; return v }(),
			"Error": func() components.SettingsView {
				v := decided("agreed", "push")
				v.Error = "settings_error_purpose"
				return v
			}(),
			"NewerPolicy": func() components.SettingsView { v := decided("agreed", "push"); v.LatestVersion = "2026-12"; return v }(),
			"Undated":     func() components.SettingsView { v := decided("agreed"); v.DecidedAt = ""; return v }(),
			"HostStateWithoutTimes": func() components.SettingsView {
				v := decided("agreed", "push")
				v.DecidedAt = ""
				for i := range v.Optional {
					v.Optional[i].Since = ""
				}
				return v
			}(),
		}
		for name, v := range states {
			t.Run(l+"/"+name, func(t *testing.T) {
				server := serverMain(t, v, loc)
				static := map[string]string{}
				for _, id := range []string{"kc-settings-nav", "kc-rights", "kc-contact", "kc-shared"} {
					n := byID(server, id)
					require.NotNil(t, n, "#%s", id)
					var b bytes.Buffer
					require.NoError(t, html.Render(&b, n))
					static[id] = b.String()
				}
				c := components.LoadedSettings(v, static)
				e := app.NewTestEngine()
				require.NoError(t, e.Load(c))
				e.ConsumeAll()
				wasm := byID(parse(t, app.HTMLString(c)), "main")
				require.NotNil(t, wasm)
				assert.Equal(t, canonical(server), canonical(wasm))
			})
		}
	}
}

func serverMain(t *testing.T, v components.SettingsView, loc *lang.Localizer) *html.Node {
	t.Helper()
	centre := views.SettingsCentre{
		Rights: []views.SettingsRight{
			{Right: consent.Right{ID: "access", Title: "查阅", Description: "您有权查阅您的个人信息。", Sections: []string{"s5-1"}}, PolicyURL: "/privacy#s5-1"},
			{Right: consent.Right{ID: "withdraw", Title: "撤回同意", Description: "您可以撤回同意。", Withdraw: true}, PolicyURL: "/privacy#s5-4"},
			{Right: consent.Right{ID: "delete", Title: "注销", Target: "account-deletion", Contact: true, DeadlineDays: 15}, PolicyURL: "/privacy#s5-6"},
		},
		Contact:    &policy.ContactDetails{Email: "privacy@kaiconn.com", Phone: "0755 - 86965862", Address: "深圳", Site: "https://www.kaiconn.com", Reply: "十五天内予以回复。"},
		ContactURL: "/privacy#s10-contact", CollectedURL: "/privacy/collected", SharedURL: "/privacy/shared",
	}
	var b bytes.Buffer
	require.NoError(t, views.Settings(v, centre, loc).Render(context.Background(), &b))
	n := byID(parse(t, b.String()), "main")
	require.NotNil(t, n)
	return n
}

func parse(t *testing.T, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	return doc
}

func byID(n *html.Node, id string) *html.Node {
	if n.Type == html.ElementNode {
		for _, a := range n.Attr {
			if a.Key == "id" && a.Val == id {
				return n
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := byID(c, id); f != nil {
			return f
		}
	}
	return nil
}

// canonical writes a tree as the browser would show it: elements with
// their attributes sorted, text with runs of white space as one space.
// go-app sets a tick box's property from checked="false" as well, so an
// absent checked and checked="false" are the same; "true" and a bare
// attribute are the same. The indentation between elements is not text a
// reader sees, so text that is only white space is left out.
func canonical(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node, depth int)
	text := ""
	flush := func(depth int) {
		if s := strings.Join(strings.Fields(text), " "); s != "" {
			fmt.Fprintf(&b, "%s%q\n", strings.Repeat("  ", depth), s)
		}
		text = ""
	}
	walk = func(n *html.Node, depth int) {
		switch n.Type {
		case html.TextNode:
			text += n.Data
			return
		case html.ElementNode:
			flush(depth)
			var attrs []string
			for _, a := range n.Attr {
				v := a.Val
				if a.Key == "checked" || a.Key == "hidden" || a.Key == "open" {
					if v == "false" {
						continue
					}
					v = ""
				}
				attrs = append(attrs, a.Key+"="+v)
			}
			slices.Sort(attrs)
			fmt.Fprintf(&b, "%s<%s %s>\n", strings.Repeat("  ", depth), n.Data, strings.Join(attrs, " "))
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c, depth+1)
			}
			flush(depth + 1)
		}
	}
	walk(n, 0)
	return b.String()
}
