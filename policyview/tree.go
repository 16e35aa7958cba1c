package policyview

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kaiconn/consent/cjk"
)

// What follows builds for the server and for the wasm: the tree and its
// search. Building a tree from a parsed policy (Build, Document) is the
// server's; the wasm receives trees as JSON (Tree) and marks search hits
// in them itself (Mark), exactly where Build would have marked them.

// Views of the policy page.
const (
	Single    = "single"
	Bilingual = "bilingual"
)

// Node is one element. Tag is an HTML element name from a small fixed set
// (see the renderers); a node has either Spans (inline text) or Children,
// or both for a heading-led section.
type Node struct {
	Tag      string  `json:"tag"`
	ID       string  `json:"id,omitempty"`
	Class    string  `json:"class,omitempty"`
	Lang     string  `json:"lang,omitempty"` // set on a node whose language differs from the page's
	Only     string  `json:"only,omitempty"` // the language a clause exists in, when only one
	Href     string  `json:"href,omitempty"` // for Tag "a"
	Spans    []Span  `json:"spans,omitempty"`
	Children []*Node `json:"children,omitempty"`
}

// Span is a run of inline text.
type Span struct {
	Text   string `json:"text"`
	Strong bool   `json:"strong,omitempty"` // sensitive personal information, bold as the policy promises
	Href   string `json:"href,omitempty"`   // a link
	Hit    int    `json:"hit,omitempty"`    // 1-based search hit number; 0 when not a hit
}

// Row pairs one part of the policy in both languages; Chinese first, as
// the policy is published.
type Row struct {
	ID    string `json:"id"`
	Left  *Node  `json:"left"`
	Right *Node  `json:"right"`
}

// TOCEntry is one line of the table of contents.
type TOCEntry struct {
	ID       string     `json:"id"`
	Number   string     `json:"number,omitempty"`
	Title    string     `json:"title"`
	Children []TOCEntry `json:"children,omitempty"`
}

// URL is the address of the policy page in a language, view and search.
// The server links to it and the wasm writes it into the address bar when it
// changes them in place, so a reload shows the same thing.
func URL(lang, view, query string) string {
	v := url.Values{"lang": {lang}}
	if view == Bilingual {
		v.Set("view", view)
	}
	if query != "" {
		v.Set("q", query)
	}
	return "/privacy?" + v.Encode()
}

// OtherView is the view the view switch leads to.
func OtherView(view string) string {
	if view == Bilingual {
		return Single
	}
	return Bilingual
}

type piece struct {
	text string
	hit  bool
}

// split cuts text into pieces at every non-overlapping case-insensitive
// occurrence of the folded query q.
func split(text string, q []rune) []piece {
	if len(q) == 0 {
		return []piece{{text: text}}
	}
	runes := []rune(text)
	folded := fold(text)
	var out []piece
	start := 0
	for i := 0; i+len(q) <= len(folded); {
		if equal(folded[i:i+len(q)], q) {
			if i > start {
				out = append(out, piece{text: string(runes[start:i])})
			}
			out = append(out, piece{text: string(runes[i : i+len(q)]), hit: true})
			i += len(q)
			start = i
			continue
		}
		i++
	}
	if start < len(runes) {
		out = append(out, piece{text: string(runes[start:])})
	}
	return out
}

// fold lower-cases rune by rune, so positions in the folded text are
// positions in the original.
func fold(s string) []rune {
	r := []rune(s)
	for i, c := range r {
		r[i] = unicode.ToLower(cjk.Fold(c))
	}
	return r
}

func equal(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Tree is the policy page of one version in one language and view, with no
// search: what the server hands the wasm as JSON (/privacy/doc.json), and
// what the wasm marks a reader's search in (Mark).
type Tree struct {
	Version   string `json:"version"`
	Updated   string `json:"updated"`
	Effective string `json:"effective"`
	Lang      string `json:"lang"` // the reader's language
	View      string `json:"view"` // Single or Bilingual
	// SHA256 is the hash of the reader's language's text.
	SHA256 string     `json:"sha256"`
	TOC    []TOCEntry `json:"toc"`
	Body   *Node      `json:"body,omitempty"` // the single-language document, or nil
	Rows   []Row      `json:"rows,omitempty"` // the side-by-side rows, or nil
}

// Marked is a tree's document with a search's hits marked.
type Marked struct {
	Body *Node
	Rows []Row
	Hits int
}

// Mark marks every case-insensitive occurrence of query in the tree's text
// and numbers the hits in reading order (each row's Chinese column before
// its English one), as Build does for the same query. The tree itself is
// left as it is. Section and clause numbers and the notes that a clause
// exists in one language only are not searched, as Build does not search
// them.
func (t *Tree) Mark(query string) Marked {
	m := &marker{q: fold(strings.TrimSpace(query))}
	out := Marked{Body: m.node(t.Body)}
	for _, r := range t.Rows {
		out.Rows = append(out.Rows, Row{ID: r.ID, Left: m.node(r.Left), Right: m.node(r.Right)})
	}
	out.Hits = m.hits
	return out
}

type marker struct {
	q    []rune
	hits int
}

// unsearched are the classes of nodes whose text Build writes as it is,
// without looking for hits.
var unsearched = map[string]bool{"kc-num": true, "kc-only": true}

func (m *marker) node(n *Node) *Node {
	if n == nil {
		return nil
	}
	c := *n
	if unsearched[n.Class] || len(m.q) == 0 {
		return &c
	}
	// Build numbers a heading's hits before the nodes under it; a
	// heading's only child is its number, which holds none.
	if len(n.Spans) > 0 {
		c.Spans = nil
		for _, s := range n.Spans {
			for _, p := range split(s.Text, m.q) {
				sp := Span{Text: p.text, Strong: s.Strong, Href: s.Href}
				if p.hit {
					m.hits++
					sp.Hit = m.hits
				}
				c.Spans = append(c.Spans, sp)
			}
		}
	}
	if len(n.Children) > 0 {
		c.Children = make([]*Node, len(n.Children))
		for i, ch := range n.Children {
			c.Children[i] = m.node(ch)
		}
	}
	return &c
}

// Punctuate shows the Chinese text of n and its descendants with full-width
// punctuation (package cjk), each node's spans judged together so that a
// comma after a bold phrase sees the phrase. A node marked in another
// language is left as it is.
func Punctuate(n *Node) {
	if n == nil || (n.Lang != "" && !strings.HasPrefix(n.Lang, "zh")) {
		return
	}
	if len(n.Spans) > 0 {
		var all strings.Builder
		for _, s := range n.Spans {
			all.WriteString(s.Text)
		}
		text := []rune(cjk.Punctuate(all.String()))
		at := 0
		for i, s := range n.Spans {
			k := utf8.RuneCountInString(s.Text)
			n.Spans[i].Text = string(text[at : at+k])
			at += k
		}
	}
	for _, c := range n.Children {
		Punctuate(c)
	}
}
