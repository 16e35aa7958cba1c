package views

import (
	"strings"
	"testing"

	"github.com/kaiconn/consent/policyview"
	"github.com/stretchr/testify/assert"
)

func TestForeignRuns(t *testing.T) {
	for _, tt := range []struct {
		name, text, lang string
		want             []Run
	}{
		{"Chinese term in English", "Separate consent (单独同意) applies.", "en",
			[]Run{{Text: "Separate consent ("}, {Text: "单独同意", Lang: "zh-Hans"}, {Text: ") applies."}}},
		{"Chinese with its punctuation", "see 隐私政策，第二条 now", "en",
			[]Run{{Text: "see "}, {Text: "隐私政策，第二条", Lang: "zh-Hans"}, {Text: " now"}}},
		{"a stray full stop is not Chinese", "and avatar。", "en", []Run{{Text: "and avatar。"}}},
		{"English phrase in Chinese", "请阅读 Terms of Service 全文", "zh-Hans",
			[]Run{{Text: "请阅读 "}, {Text: "Terms of Service", Lang: "en"}, {Text: " 全文"}}},
		{"technical terms stay", "Android id、IMEI和Bugly crash上报", "zh-Hans", []Run{{Text: "Android id、IMEI和Bugly crash上报"}}},
		{"plain English", "Nothing foreign here.", "en", []Run{{Text: "Nothing foreign here."}}},
		{"empty", "", "en", []Run{{Text: ""}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ForeignRuns(tt.text, tt.lang))
		})
	}
}

// The tree's language is the page's unless a node says otherwise: the
// Chinese column of the side-by-side view marks nothing inside itself.
func TestPolicyTreeMarksForeignRuns(t *testing.T) {
	tree := &policyview.Node{Tag: "div", Children: []*policyview.Node{
		{Tag: "p", Spans: []policyview.Span{{Text: "Separate consent (单独同意)"}}},
		{Tag: "p", Lang: "zh-Hans", Spans: []policyview.Span{{Text: "单独同意"}}},
	}}
	var b strings.Builder
	writeNode(&b, tree, "en")
	assert.Equal(t, `<div><p>Separate consent (<span lang="zh-Hans">单独同意</span>)</p><p lang="zh-Hans">单独同意</p></div>`, b.String())
}
