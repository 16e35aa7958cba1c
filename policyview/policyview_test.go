package policyview_test

import (
	"strings"
	"testing"

	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/policyview"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// latest is the base policy version (localestest.Base), whose published
// text the tests below quote.
func latest(t *testing.T) *policy.Version {
	t.Helper()
	return localestest.Version(t, localestest.Base)
}

// walk visits every node and span of a tree.
func walk(n *policyview.Node, node func(*policyview.Node), span func(policyview.Span)) {
	node(n)
	for _, s := range n.Spans {
		span(s)
	}
	for _, c := range n.Children {
		walk(c, node, span)
	}
}

func TestSearchMarksHits(t *testing.T) {
	doc, _ := latest(t).Doc(policy.LangEN)
	zh, _ := latest(t).Doc(policy.LangZH)
	for _, tt := range []struct {
		name  string
		doc   *policy.Document
		query string
		want  string // every hit reads this, case folded
	}{
		{"Latin", doc, "Bugly", "bugly"},
		{"CaseInsensitive", doc, "bUGLY", "bugly"},
		{"ChineseNoSpaces", zh, "友盟", "友盟"},
		{"SpacesTrimmed", zh, "  友盟 ", "友盟"},
		{"InsideBold", zh, "身份证件号码", "身份证件号码"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := policyview.Document(tt.doc, policyview.Options{Query: tt.query})
			var hits []policyview.Span
			walk(r.Root, func(*policyview.Node) {}, func(s policyview.Span) {
				if s.Hit > 0 {
					hits = append(hits, s)
				}
			})
			require.NotEmpty(t, hits)
			assert.Equal(t, len(hits), r.Hits)
			for i, h := range hits {
				assert.Equal(t, i+1, h.Hit, "hits are numbered in document order")
				assert.Equal(t, tt.want, strings.ToLower(h.Text))
			}
			// Marking hits must not change the text.
			var plain, marked strings.Builder
			walk(policyview.Document(tt.doc, policyview.Options{}).Root, func(*policyview.Node) {}, func(s policyview.Span) { plain.WriteString(s.Text) })
			walk(r.Root, func(*policyview.Node) {}, func(s policyview.Span) { marked.WriteString(s.Text) })
			assert.Equal(t, plain.String(), marked.String())
		})
	}
	t.Run("NoQueryNoHits", func(t *testing.T) {
		assert.Zero(t, policyview.Document(doc, policyview.Options{Query: "   "}).Hits)
	})
	t.Run("NonOverlapping", func(t *testing.T) {
		r := policyview.Document(doc, policyview.Options{Query: "zzzz-not-in-policy"})
		assert.Zero(t, r.Hits)
	})
}

func TestStructure(t *testing.T) {
	v := latest(t)
	for _, l := range policy.Languages() {
		t.Run(l, func(t *testing.T) {
			p := policyview.Build(v, l, policyview.Single, "", func(string) string { return "only" })
			counts := map[string]int{}
			walk(p.Body, func(n *policyview.Node) {
				switch {
				case n.Tag == "section" && strings.Contains(n.Class, "kc-l2"):
					counts["sections"]++
				case n.Class == "kc-sdk":
					counts["sdks"]++
				case n.Class == "kc-perms":
					counts["permissions"] += len(n.Children)
				case n.Tag == "address":
					counts["contact"]++
				}
			}, func(policyview.Span) {})
			assert.Equal(t, map[string]int{"sections": 10, "sdks": 5, "permissions": 26, "contact": 1}, counts)
			assert.Len(t, p.TOC, 10)
		})
	}
}

// Ids are the reader's place: unique on a page, and the same in both
// languages, so a switch lands on the same section.
func TestIDs(t *testing.T) {
	v := latest(t)
	ids := func(n *policyview.Node) map[string]int {
		seen := map[string]int{}
		walk(n, func(n *policyview.Node) {
			if n.ID != "" {
				seen[n.ID]++
			}
		}, func(policyview.Span) {})
		return seen
	}
	t.Run("UniqueSingle", func(t *testing.T) {
		for _, l := range policy.Languages() {
			for id, n := range ids(policyview.Build(v, l, policyview.Single, "", nil).Body) {
				assert.Equal(t, 1, n, "%s: id %s", l, id)
			}
		}
	})
	t.Run("UniqueBilingual", func(t *testing.T) {
		p := policyview.Build(v, policy.LangEN, policyview.Bilingual, "Bugly", nil)
		all := map[string]int{}
		hits := 0
		for _, r := range p.Rows {
			for _, n := range []*policyview.Node{r.Left, r.Right} {
				for id, c := range ids(n) {
					all[id] += c
				}
				walk(n, func(*policyview.Node) {}, func(s policyview.Span) {
					if s.Hit > 0 {
						hits++
						assert.Equal(t, hits, s.Hit, "hits numbered across both columns")
					}
				})
			}
		}
		for id, n := range all {
			assert.Equal(t, 1, n, "id %s", id)
		}
		assert.Equal(t, hits, p.Hits)
		assert.Contains(t, all, "s7", "the reader's column keeps bare ids")
		assert.Contains(t, all, "zh-s7", "the other column is prefixed")
	})
	t.Run("SectionsAlignAcrossLanguages", func(t *testing.T) {
		zh := ids(policyview.Build(v, policy.LangZH, policyview.Single, "", nil).Body)
		en := ids(policyview.Build(v, policy.LangEN, policyview.Single, "", nil).Body)
		for id := range zh {
			if strings.HasPrefix(id, "s") && !strings.Contains(id, "-p") {
				_, ok := en[id]
				assert.True(t, ok, "section %s missing in English", id)
			}
		}
	})
}

func TestOnlyInOneLanguage(t *testing.T) {
	p := policyview.Build(latest(t), policy.LangEN, policyview.Single, "", func(only string) string { return "only in " + only })
	var found []string
	walk(p.Body, func(n *policyview.Node) {
		if n.Only != "" {
			found = append(found, n.ID+":"+n.Only)
		}
	}, func(policyview.Span) {})
	assert.Contains(t, found, "s3-1-5:en", "English 3.1.5 (marketing) has no Chinese counterpart")
}

func TestURL(t *testing.T) {
	for _, tt := range []struct{ lang, view, q, want string }{
		{"en", policyview.Single, "", "/privacy?lang=en"},
		{"zh-Hans", policyview.Bilingual, "", "/privacy?lang=zh-Hans&view=bilingual"},
		{"en", policyview.Single, "a&b", "/privacy?lang=en&q=a%26b"},
	} {
		assert.Equal(t, tt.want, policyview.URL(tt.lang, tt.view, tt.q))
	}
}
