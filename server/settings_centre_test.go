package server

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kaiconn/consent/cjk"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// node finds the element with id in page.
func node(t *testing.T, page, id string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var found *html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && attr(n, "id") == id {
			found = n
		}
		for c := n.FirstChild; c != nil && found == nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	require.NotNil(t, found, "no element #%s", id)
	return found
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// text is the text of n with runs of white space made one space.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func settingsPage(t *testing.T, s *Server, target, cookie string) string {
	t.Helper()
	res := do(t, s, req{method: "GET", target: target, cookie: cookie})
	require.Equal(t, http.StatusOK, res.StatusCode)
	return bodyOf(t, res)
}

// The page says the stored decision in words: what is allowed, its kind,
// when (in the reader's zone) and under which policy version.
func TestSettingsSummary(t *testing.T) {
	s := testServer(t, withLaterPolicy(t))
	at := time.Date(2026, 11, 29, 12, 30, 0, 0, time.UTC)
	msgs := lang.DefaultBundle()
	for _, tc := range []struct {
		name, lang string
		entry      map[string]any
		state      string
		granted    int
		when       string
	}{
		{"DeclinedZh", lang.ZhHans, entry(consent.KindDeclined, localestest.Base, at), "settings_summary_none", 0, "2026年11月29日 20:30（北京时间）"},
		{"DeclinedEn", lang.En, entry(consent.KindDeclined, localestest.Base, at), "settings_summary_none", 0, "29 Nov 2026, 12:30 UTC"},
		{"SomeEn", lang.En, entry(consent.KindAgreed, localestest.Base, at, "push", "location"), "", 2, "29 Nov 2026, 12:30 UTC"},
		{"WithdrawnZh", lang.ZhHans, entry(consent.KindWithdrawn, localestest.Base, at), "settings_summary_none", 0, "2026年11月29日 20:30（北京时间）"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := msgs.Localizer(tc.lang)
			page := settingsPage(t, s, "/settings/privacy?lang="+tc.lang, cookieValue(t, s, map[string]any{"v": 1, "h": []any{tc.entry}}))
			sum := node(t, page, "kc-summary")
			assert.Equal(t, string(tc.entry["k"].(consent.Kind)), attr(sum, "data-decision"))
			assert.Equal(t, strconv.Itoa(tc.granted), attr(sum, "data-granted"))
			if tc.state != "" {
				assert.Equal(t, l.T(tc.state), text(node(t, page, "kc-summary-state")))
			}
			history := text(node(t, page, "kc-history"))
			if tc.granted == 0 {
				assert.Contains(t, history, l.T("settings_history_granted")+l.T("settings_history_none"), "the history names no optional service either")
			}
			req, _ := s.catalogues[localestest.Base].Required(consent.SurfaceSettings)
			assert.NotContains(t, history, req.Title.In(tc.lang), "required processing is never listed as something allowed")
			assert.NotContains(t, text(node(t, page, "kc-summary-state")), req.Title.In(tc.lang))
			decided := node(t, page, "kc-summary-decided")
			assert.Contains(t, text(decided), tc.when)
			assert.Contains(t, text(decided), localestest.Base)
			// The version decided under, not the newest policy's.
			assert.Equal(t, localestest.Base, attr(sum, "data-version"))
			assert.Equal(t, localestest.Base, settingsState(t, page).PolicyVersion)
			assert.Equal(t, localestest.Later, settingsState(t, page).LatestVersion)
			assert.Contains(t, text(node(t, page, "kc-summary-newer")), localestest.Later)
		})
	}
	t.Run("NoDecision", func(t *testing.T) {
		page := settingsPage(t, s, "/settings/privacy?lang=zh-Hans", "")
		assert.Equal(t, "0", attr(node(t, page, "kc-summary"), "data-granted"))
		assert.Equal(t, "", settingsState(t, page).PolicyVersion)
		assert.NotContains(t, page, `id="kc-summary-newer"`)
	})
}

// The rights centre and the contact block come from the catalogue and the
// policy: every right, its navigate target, its deadline or effect.
func TestSettingsRightsCentre(t *testing.T) {
	s := testServer(t)
	v := s.policies.Latest()
	cat := s.catalogues[v.ID]
	for _, l := range lang.All {
		t.Run(l, func(t *testing.T) {
			page := settingsPage(t, s, "/settings/privacy?lang="+l, "")
			rights := cat.Rights(l)
			require.Len(t, rights, len(consent.RequiredRights))
			shortest := 0
			for _, r := range rights {
				n := node(t, page, "kc-right-"+r.ID)
				assert.Contains(t, text(n), r.Title)
				if r.Target != "" {
					assert.Equal(t, r.Target, attr(node(t, page, "kc-right-"+r.ID+"-open"), "data-navigate"))
				}
				if r.Contact {
					d := node(t, page, "kc-right-"+r.ID+"-deadline")
					assert.Equal(t, strconv.Itoa(r.DeadlineDays), attr(d, "data-days"))
					assert.Contains(t, text(d), strconv.Itoa(r.DeadlineDays))
					if shortest == 0 || r.DeadlineDays < shortest {
						shortest = r.DeadlineDays
					}
				}
				assert.True(t, r.Target != "" || r.Contact || r.Withdraw, "%s: every entry offers a way", r.ID)
			}
			assert.Equal(t, 15, shortest, "the shortest deadline the policy states")
			del := text(node(t, page, "kc-right-account-deletion-effect"))
			assert.Contains(t, del, "申请注销后7天生效。", "the governing Chinese, on English pages too")
			if l == lang.En {
				assert.Contains(t, page, `<span lang="zh-Hans">申请注销后7天生效。</span>`)
			}
			contact, err := v.Contact(l)
			require.NoError(t, err)
			assert.Equal(t, "mailto:"+contact.Email, attr(node(t, page, "kc-contact-email"), "href"))
			assert.Equal(t, "tel:+8675586965862", attr(node(t, page, "kc-contact-phone"), "href"))
			assert.Equal(t, contact.Address, text(node(t, page, "kc-contact-address")))
			assert.Equal(t, "#kc-contact-title", attr(node(t, page, "kc-contact-link"), "href"), "the contact one tap away")
			assert.Equal(t, "/privacy/collected?lang="+l, attr(node(t, page, "kc-collected-link"), "href"))
			assert.Equal(t, "/privacy/shared?lang="+l, attr(node(t, page, "kc-shared-link"), "href"))
		})
	}
}

// The rights centre's "What the policy says" holds the policy's own words:
// every paragraph and clause of the sections a right cites, as the policy
// page prints them (Chinese punctuation in full width), and nothing else;
// the catalogue's own words are labelled as our explanation, apart from the
// quote.
func TestSettingsRightsQuoteThePolicy(t *testing.T) {
	s := testServer(t)
	v := s.policies.Latest()
	cat := s.catalogues[v.ID]
	for _, l := range lang.All {
		doc, ok := v.Doc(l)
		require.True(t, ok)
		page := settingsPage(t, s, "/settings/privacy?lang="+l, "")
		for _, r := range cat.Rights(l) {
			t.Run(l+"/"+r.ID, func(t *testing.T) {
				quote := text(node(t, page, "kc-right-"+r.ID+"-quote"))
				var want []string
				for _, sec := range r.Sections {
					lines := strings.Split(doc.PlainText(sec), "\n")
					require.NotEmpty(t, lines, sec)
					for _, line := range lines {
						if l == lang.ZhHans {
							line = cjk.Punctuate(line)
						}
						want = append(want, strings.Join(strings.Fields(line), " "))
					}
				}
				for _, w := range want {
					assert.Contains(t, quote, w, "the policy's words, verbatim")
				}
				assert.NotContains(t, quote, strings.Join(strings.Fields(r.Description), " "), "our explanation is not the policy's words")
				explain := text(node(t, page, "kc-right-"+r.ID+"-explain"))
				msgs := lang.DefaultBundle().Localizer(l)
				assert.True(t, strings.HasPrefix(explain, msgs.T("settings_right_explain")), "labelled as our explanation: %q", explain)
			})
		}
	}
}
