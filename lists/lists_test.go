package lists_test

import (
	"github.com/kaiconn/consent/cjk"
	"github.com/kaiconn/consent/locales/localestest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/policyview"
)

// real is the base policy version (localestest.Base) and its catalogue,
// held to each other.
func real(t *testing.T) (*consent.Catalogue, *policy.Version) {
	t.Helper()
	v := localestest.Version(t, localestest.Base)
	cat, err := consent.LoadCatalogueFor(localestest.Catalogues(t, localestest.Base), v)
	require.NoError(t, err)
	return cat, v
}

func build(t *testing.T, kind lists.Kind, l, query string) lists.Page {
	t.Helper()
	cat, v := real(t)
	p, err := lists.Build(kind, cat, v, lang.DefaultBundle().Localizer(l), query)
	require.NoError(t, err)
	return p
}

// find returns the node with id in the tree, or nil.
func find(n *policyview.Node, id string) *policyview.Node {
	if n.ID == id {
		return n
	}
	for _, c := range n.Children {
		if f := find(c, id); f != nil {
			return f
		}
	}
	return nil
}

// all returns the nodes of the tree whose tag and class match.
func all(n *policyview.Node, tag, class string) []*policyview.Node {
	var out []*policyview.Node
	if n.Tag == tag && (class == "" || n.Class == class) {
		out = append(out, n)
	}
	for _, c := range n.Children {
		out = append(out, all(c, tag, class)...)
	}
	return out
}

func spanText(n *policyview.Node) string {
	var sb strings.Builder
	for _, s := range n.Spans {
		sb.WriteString(s.Text)
	}
	return sb.String()
}

// allText is every text under n, for "does the card say X".
func allText(n *policyview.Node) string {
	s := spanText(n)
	for _, c := range n.Children {
		s += "\n" + allText(c)
	}
	return s
}

func TestCollected(t *testing.T) {
	cat, v := real(t)
	for _, l := range lang.All {
		t.Run(l, func(t *testing.T) {
			p := build(t, lists.Collected, l, "")
			doc, _ := v.Doc(l)

			t.Run("EveryBusinessFunctionWithThePolicysItems", func(t *testing.T) {
				n := 0
				for _, pur := range cat.Purposes(consent.SurfaceFirstLaunch) {
					require.NotNil(t, find(p.Body, "p-"+string(pur.ID)), pur.ID)
					for _, f := range pur.Functions {
						n++
						card := find(p.Body, "fn-"+f.ID)
						require.NotNil(t, card, f.ID)
						items := all(card, "ul", "kc-items")
						require.Len(t, items, 1, f.ID)
						var got []string
						for _, li := range items[0].Children {
							got = append(got, spanText(li))
						}
						var want []string
						if f.SDK != "" {
							row, _ := doc.SDK(f.SDK)
							for _, it := range consent.SplitItems(shown(l, row.Collected)) {
								want = append(want, consent.BalanceBrackets(it))
							}
						} else {
							for _, q := range f.Data {
								for _, it := range consent.SplitItems(shown(l, q.Quote[l])) {
									// The list shows an item without the bracket
									// the policy's typing left unpaired.
									it = consent.BalanceBrackets(it)
									if !contains(want, it) {
										want = append(want, it)
									}
								}
							}
						}
						assert.Equal(t, want, got, f.ID)
					}
				}
				assert.Equal(t, n, p.Total)
				assert.Equal(t, n, p.Shown)
			})

			t.Run("EveryPermission", func(t *testing.T) {
				require.Len(t, doc.Permissions(), 26)
				for _, b := range doc.Permissions() {
					li := find(p.Body, "perm-"+b.ID)
					if perm, _, _, _ := cat.Permission(b.ID); perm.DataItem {
						// IMSI, IMEI, MAC: data the card lists, not a
						// permission.
						assert.Nil(t, li, b.ID)
						continue
					}
					require.NotNil(t, li, b.ID)
					_, name, _ := doc.Permission(b.ID)
					assert.Equal(t, name, spanText(li))
					assert.Equal(t, "/privacy?lang="+l+"#"+b.ID, li.Spans[0].Href)
				}
			})

			t.Run("MethodRetentionAndUse", func(t *testing.T) {
				loc := lang.DefaultBundle().Localizer(l)
				account := allText(find(p.Body, "fn-account"))
				assert.Contains(t, account, loc.T("lists_method_app"))
				push := allText(find(p.Body, "fn-push"))
				getui, _ := doc.SDK("getui")
				assert.Contains(t, push, loc.T("lists_method_sdk", map[string]any{"SDK": getui.Name}))
				assert.Contains(t, push, shown(l, getui.Purpose), "an SDK function's use is its row's")
				basic := allText(find(p.Body, "p-basic"))
				assert.Contains(t, basic, shown(l, doc.PlainText("s7-2")), "retention in the policy's words")
				assert.Contains(t, basic, loc.T("lists_required"))
				assert.Contains(t, allText(find(p.Body, "p-location")), loc.T("lists_consent_separate"))
			})
		})
	}

	t.Run("SensitiveInformationInBold", func(t *testing.T) {
		p := build(t, lists.Collected, lang.ZhHans, "")
		bold := func(id, item string) []policyview.Span {
			for _, li := range all(find(p.Body, id), "li", "") {
				if spanText(li) == item {
					return li.Spans
				}
			}
			t.Fatalf("%s has no item %q", id, item)
			return nil
		}
		assert.Equal(t, []policyview.Span{{Text: "中国大陆"}, {Text: "手机号码", Strong: true}}, bold("fn-account", "中国大陆手机号码"))
		assert.Equal(t, []policyview.Span{{Text: "位置信息", Strong: true}}, bold("fn-push", "位置信息"))
		assert.Equal(t, []policyview.Span{{Text: "设备标识符"}}, bold("fn-push", "设备标识符"))
	})
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func TestShared(t *testing.T) {
	cat, v := real(t)
	for _, l := range lang.All {
		t.Run(l, func(t *testing.T) {
			p := build(t, lists.Shared, l, "")
			doc, _ := v.Doc(l)
			require.Len(t, doc.SDKs(), 5)
			assert.Equal(t, 5+len(cat.Recipients(l)), p.Total, "the SDKs, then the other recipients")
			for _, row := range doc.SDKs() {
				card := find(p.Body, "sdk-"+row.ID)
				require.NotNil(t, card, row.ID)
				text := allText(card)
				assert.Contains(t, text, shown(l, row.Name))
				assert.Contains(t, text, shown(l, row.Scope))
				assert.Contains(t, text, shown(l, row.Purpose))
				var links []string
				for _, dd := range all(card, "dd", "") {
					for _, s := range dd.Spans {
						if s.Href != "" {
							links = append(links, s.Href)
						}
					}
				}
				assert.Contains(t, links, row.PolicyURL, "a plain link to the SDK's own policy")
			}
			// The legal name is the catalogue's: the policy only links it.
			push, _ := cat.Purpose(consent.SurfaceFirstLaunch, "push")
			assert.Contains(t, allText(find(p.Body, "sdk-getui")), shown(l, push.Recipient[l]))
		})
	}
}

func TestFilter(t *testing.T) {
	for _, tc := range []struct {
		name, lang, query string
		kind              lists.Kind
		want              []string // ids of the entries shown
	}{
		{"ByDataItem", lang.ZhHans, "音视频", lists.Collected, []string{"fn-crash-reports"}},
		{"CaseInsensitive", lang.En, "sd CARD", lists.Shared, []string{"sdk-getui"}},
		{"ByPermission", lang.ZhHans, "调用摄像头", lists.Collected, []string{"fn-crash-reports"}},
		{"ByPurposeShowsItsFunctions", lang.En, "Basic functions (required)", lists.Collected,
			[]string{"fn-account", "fn-profile", "fn-operation", "fn-devices", "fn-usage-logs", "fn-security"}},
		{"NoMatch", lang.En, "blood type", lists.Shared, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := build(t, tc.kind, tc.lang, tc.query)
			var got []string
			for _, a := range all(p.Body, "article", "kc-card") {
				got = append(got, a.ID)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, len(tc.want), p.Shown)
			assert.Greater(t, p.Total, p.Shown)
			whole := build(t, tc.kind, tc.lang, "")
			assert.Equal(t, whole.SHA256, p.SHA256, "the hash is of the whole list, whatever the filter")
		})
	}
}

// The hash is of what the list shows: the same list hashes the same, and
// a change of any word it shows changes it.
func TestHash(t *testing.T) {
	a, b := build(t, lists.Collected, lang.ZhHans, ""), build(t, lists.Collected, lang.ZhHans, "")
	assert.Len(t, a.SHA256, 64)
	assert.Equal(t, a.SHA256, b.SHA256)
	assert.NotEqual(t, a.SHA256, build(t, lists.Collected, lang.En, "").SHA256)
	assert.NotEqual(t, a.SHA256, build(t, lists.Shared, lang.ZhHans, "").SHA256)
	assert.Contains(t, a.Text, "版本 "+localestest.Base)
	assert.Contains(t, a.Text, "\n中国大陆手机号码\n")

	// The catalogue's recipient, shown on the shared list, edited.
	lib := localestest.Library(t, localestest.Base)
	m := localestest.Catalogues(t, localestest.Base)
	src := m[localestest.Base+".toml"].Data
	edited := strings.Replace(string(src), `en = "Getui (Daily Interactive Co., Ltd.)"`, `en = "Daily Interactive Co., Ltd."`, 1)
	require.NotEqual(t, string(src), edited)
	m[localestest.Base+".toml"] = &fstest.MapFile{Data: []byte(edited)}
	cat, err := consent.LoadCatalogueFor(m, lib.Latest())
	require.NoError(t, err)
	loc := lang.DefaultBundle().Localizer(lang.En)
	before := build(t, lists.Shared, lang.En, "")
	after, err := lists.Build(lists.Shared, cat, lib.Latest(), loc, "")
	require.NoError(t, err)
	assert.NotEqual(t, before.SHA256, after.SHA256)
	collectedBefore := build(t, lists.Collected, lang.En, "")
	collectedAfter, err := lists.Build(lists.Collected, cat, lib.Latest(), loc, "")
	require.NoError(t, err)
	assert.NotEqual(t, collectedBefore.SHA256, collectedAfter.SHA256, "the collected list names recipients too")
}

func TestBuildErrors(t *testing.T) {
	cat, v := real(t)
	loc := lang.DefaultBundle().Localizer(lang.En)
	_, err := lists.Build("cookies", cat, v, loc, "")
	assert.Equal(t, errs.Invalid, errs.Code(err))
	later := localestest.Catalogue(t, localestest.Later)
	_, err = lists.Build(lists.Collected, later, v, loc, "")
	assert.Equal(t, errs.Invalid, errs.Code(err))
}

func TestURL(t *testing.T) {
	assert.Equal(t, "/privacy/collected?lang=zh-Hans", lists.URL(lists.Collected, lang.ZhHans, ""))
	assert.Equal(t, "/privacy/shared?lang=en&q=sd+card", lists.URL(lists.Shared, lang.En, "sd card"))
}

// Each card links the clauses it comes from, named as a reader finds them
// in the policy.
func TestClauseLinks(t *testing.T) {
	for _, tc := range []struct {
		lang, kind, card string
		want             []string
	}{
		{lang.ZhHans, "collected", "fn-usage-logs", []string{
			"一、（四）2.(4)(1) 注册每开平台账号", "一、（四）2.(4)(2) 注册每开平台账号", "一、（四）2.(4)(3) 注册每开平台账号"}},
		{lang.En, "collected", "fn-usage-logs", []string{
			"1.4.2.4.1. Register Kaiconn platform account.", "1.4.2.4.2. Register Kaiconn platform account.", "1.4.2.4.3. Register Kaiconn platform account."}},
		{lang.ZhHans, "collected", "p-basic", []string{"一、（三） 注册、登录、访问和使用每开平台服务", "一、（四）1. 保障每开平台正常运行",
			"隐私保护政策", "三、（一）3. 如何共享个人信息", "一、（二） 收集和使用个人信息的目的", "四、（三） 我们如何保护个人信息", "七、2. 我们如何存储个人信息"}},
		{lang.En, "shared", "sdk-bugly", []string{"2.3.4. Tencent SDK Bugly", "3.1.1. How do we deal with personal information?"}},
	} {
		t.Run(tc.lang+"/"+tc.card, func(t *testing.T) {
			p := build(t, lists.Kind(tc.kind), tc.lang, "")
			n := find(p.Body, tc.card)
			require.NotNil(t, n)
			var got []string
			for _, ul := range all(n, "ul", "kc-clauses") {
				if tc.card == "p-basic" && len(got) > 0 {
					break // the purpose's own, not its functions'
				}
				for _, li := range ul.Children {
					got = append(got, spanText(li))
					assert.True(t, strings.HasPrefix(li.Spans[0].Href, "/privacy?lang="+tc.lang+"#"), li.Spans[0].Href)
				}
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// shown is s as a page in language l shows it: Chinese with full-width
// punctuation.
func shown(l, s string) string {
	if strings.HasPrefix(l, "zh") {
		return cjk.Punctuate(s)
	}
	return s
}
