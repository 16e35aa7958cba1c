package lists_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/policyview"
)

// items returns the data items of a card: each item's text and its spans.
func items(t *testing.T, p lists.Page, id string) map[string][]policyview.Span {
	t.Helper()
	card := find(p.Body, id)
	require.NotNil(t, card, id)
	out := map[string][]policyview.Span{}
	for _, ul := range all(card, "ul", "kc-items") {
		for _, li := range ul.Children {
			out[spanText(li)] = li.Spans
		}
	}
	return out
}

// The collected list says what the policy says: the verification code of
// registration, the avatar as the person's choice, sensitive terms marked
// alike in every card, and no bracket the policy's typing left unpaired.
func TestCollectedAsThePolicySays(t *testing.T) {
	cat, _ := real(t)
	for _, tc := range []struct {
		lang, code, avatar string
	}{
		{lang.ZhHans, "短信验证码或语音验证码", "头像"},
		{lang.En, "text message verification code or voice verification code", "avatar"},
	} {
		p := build(t, lists.Collected, tc.lang, "")
		loc := lang.DefaultBundle().Localizer(tc.lang)
		t.Run(tc.lang+"/VerificationCode", func(t *testing.T) {
			assert.Contains(t, items(t, p, "fn-account"), tc.code, "policy 1.(四)2(1): registration sends a text or voice code")
		})
		t.Run(tc.lang+"/AvatarIsOptional", func(t *testing.T) {
			for _, pur := range cat.Purposes(consent.SurfaceFirstLaunch) {
				for _, f := range pur.Functions {
					if f.Optional {
						continue
					}
					for it := range items(t, p, "fn-"+f.ID) {
						assert.NotContains(t, strings.ToLower(it), tc.avatar, "%s: the avatar is not required (policy 1.(四)2(2))", f.ID)
					}
				}
			}
			profile := find(p.Body, "fn-profile")
			require.NotNil(t, profile)
			var avatar bool
			for it := range items(t, p, "fn-profile") {
				avatar = avatar || strings.Contains(strings.ToLower(it), tc.avatar)
			}
			assert.True(t, avatar, "the avatar is listed, as optional")
			assert.Contains(t, allText(profile), loc.T("lists_function_optional"))
		})
		t.Run(tc.lang+"/SensitiveMarkedAlike", func(t *testing.T) {
			for _, card := range all(p.Body, "article", "kc-card") {
				for it, spans := range items(t, p, card.ID) {
					term, sensitive := cat.SensitiveIn(it, tc.lang)
					var bold []string
					for _, s := range spans {
						if s.Strong {
							bold = append(bold, s.Text)
						}
					}
					if sensitive {
						require.Len(t, bold, 1, "%s: %q holds %q", card.ID, it, term)
						assert.Equal(t, strings.ToLower(term), strings.ToLower(bold[0]), "%s: %q", card.ID, it)
					} else {
						assert.Empty(t, bold, "%s: %q holds no sensitive term", card.ID, it)
					}
				}
			}
			if tc.lang == lang.ZhHans {
				for id, it := range map[string]string{"fn-account": "拟使用的用户名和密码", "fn-crash-reports": "音视频信息", "fn-analytics": "地理位置", "fn-location": "获取位置"} {
					spans := items(t, p, id)[it]
					require.NotNil(t, spans, "%s has %q", id, it)
					assert.True(t, slicesAny(spans), "%s: %q is marked sensitive", id, it)
				}
			}
		})
		t.Run(tc.lang+"/NoUnpairedBracket", func(t *testing.T) {
			for _, card := range all(p.Body, "article", "kc-card") {
				for it := range items(t, p, card.ID) {
					open := strings.Count(it, "(") + strings.Count(it, "（")
					closed := strings.Count(it, ")") + strings.Count(it, "）")
					assert.Equal(t, open, closed, "%s: %q", card.ID, it)
				}
			}
		})
	}
}

func slicesAny(spans []policyview.Span) bool {
	for _, s := range spans {
		if s.Strong {
			return true
		}
	}
	return false
}

// The shared list covers every recipient the policy's section 三、(一)
// names, not only the SDKs: the affiliates (3) and the related parties or
// service providers (4); and the Getui card carries the policy's note on
// its self-start, in Chinese where the English policy has none.
func TestSharedAsThePolicySays(t *testing.T) {
	_, v := real(t)
	zh, _ := v.Doc(lang.ZhHans)
	getui, _ := zh.SDK("getui")
	require.NotEmpty(t, getui.Notes)
	for _, l := range lang.All {
		p := build(t, lists.Shared, l, "")
		doc, _ := v.Doc(l)
		t.Run(l+"/AffiliatesAndServiceProviders", func(t *testing.T) {
			for _, clause := range []string{"s3-1-3", "s3-1-4-1", "s3-1-4-2"} {
				card := find(p.Body, "share-"+clause)
				require.NotNil(t, card, clause)
				text := allText(card)
				assert.Contains(t, text, shown(l, doc.PlainText(clause)), "%s: the clause in the policy's words", clause)
			}
			assert.Equal(t, len(doc.SDKs())+4, p.Total, "five SDKs and the four kinds of recipient of 三、(一)3–4")
		})
		t.Run(l+"/GetuiSelfStart", func(t *testing.T) {
			text := allText(find(p.Body, "sdk-getui"))
			assert.Contains(t, text, shown(lang.ZhHans, getui.NotesTitle))
			for _, n := range getui.Notes {
				assert.Contains(t, text, shown(lang.ZhHans, n))
			}
		})
	}
}
