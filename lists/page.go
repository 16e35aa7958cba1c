package lists

import (
	"net/url"
	"strings"

	"github.com/kaiconn/consent/policyview"
)

// What follows is a list's data and its filter, apart from building the
// data from the catalogue and the policy (lists.go).

// Kind is one of the two lists.
type Kind string

const (
	// Collected is the list of personal information collected, at
	// /privacy/collected.
	Collected Kind = "collected"
	// Shared is the list of third parties personal information is shared
	// with, at /privacy/shared.
	Shared Kind = "shared"
)

// Kinds lists both, in the order the pages link them.
var Kinds = []Kind{Collected, Shared}

// Page is one list, in one language, of one policy version.
type Page struct {
	Kind Kind
	Lang string
	// Version is the policy version, with its dates.
	Version, Updated, Effective string
	Title                       string
	// Query filters the entries: an entry is shown when its text, or the
	// text of the purpose it belongs to, holds the query regardless of
	// case. Body holds the entries shown.
	Query string
	Body  *policyview.Node
	Shown int
	Total int
	// SHA256 is the hex SHA-256 of the whole list's text (Text), whatever
	// the filter: what the list says, in the words it says it.
	SHA256 string
	// Text is the whole list as plain text, one line per heading, term,
	// description or item: its title, version and dates, then every entry.
	Text string
}

// Data is a whole list, unfiltered, in one language, which Page filters.
type Data struct {
	Kind      Kind   `json:"kind"`
	Lang      string `json:"lang"`
	Version   string `json:"version"`
	Updated   string `json:"updated"`
	Effective string `json:"effective"`
	Title     string `json:"title"`
	// SHA256 is the hash of Text, the whole list as plain text.
	SHA256 string  `json:"sha256"`
	Text   string  `json:"-"`
	Groups []Group `json:"groups"`
}

// Group is a purpose with its entries, or, with no head, entries alone.
type Group struct {
	ID      string             `json:"id,omitempty"`
	Head    *policyview.Node   `json:"head,omitempty"`
	Entries []*policyview.Node `json:"entries"`
}

// Page filters the list: an entry is shown when its text, or the text of
// the group's head, holds query regardless of case.
func (d *Data) Page(query string) Page {
	p := Page{Kind: d.Kind, Lang: d.Lang, Version: d.Version, Updated: d.Updated, Effective: d.Effective,
		Title: d.Title, Query: strings.TrimSpace(query), SHA256: d.SHA256, Text: d.Text}
	p.Body = &policyview.Node{Tag: "div", Class: "kc-lists kc-lists--" + string(d.Kind), ID: "kc-list"}
	q := strings.ToLower(p.Query)
	for _, g := range d.Groups {
		p.Total += len(g.Entries)
		var shown []*policyview.Node
		headHit := q != "" && g.Head != nil && strings.Contains(strings.ToLower(nodeText(g.Head)), q)
		for _, e := range g.Entries {
			if q == "" || headHit || strings.Contains(strings.ToLower(nodeText(e)), q) {
				shown = append(shown, e)
			}
		}
		p.Shown += len(shown)
		if len(shown) == 0 {
			continue
		}
		if g.Head == nil {
			p.Body.Children = append(p.Body.Children, shown...)
			continue
		}
		sec := &policyview.Node{Tag: "section", ID: g.ID, Class: "kc-group", Children: []*policyview.Node{g.Head}}
		sec.Children = append(sec.Children, shown...)
		p.Body.Children = append(p.Body.Children, sec)
	}
	return p
}

// URL is the address of a list in a language, with a filter.
func URL(kind Kind, l, query string) string {
	v := url.Values{"lang": {l}}
	if query != "" {
		v.Set("q", query)
	}
	return "/privacy/" + string(kind) + "?" + v.Encode()
}

// nodeText is the text of a node and everything under it, for the filter.
func nodeText(n *policyview.Node) string {
	return strings.Join(textLines(nil, n), "\n")
}

// textLines appends the lines of text of n: one per element that holds
// text of its own, in document order.
func textLines(lines []string, n *policyview.Node) []string {
	if n == nil {
		return lines
	}
	for _, c := range n.Children {
		lines = textLines(lines, c)
	}
	if len(n.Spans) > 0 {
		var sb strings.Builder
		for _, s := range n.Spans {
			sb.WriteString(s.Text)
		}
		lines = append(lines, sb.String())
	}
	return lines
}
