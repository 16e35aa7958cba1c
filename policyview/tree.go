package policyview

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/kaiconn/consent/cjk"
)

// What follows is the tree and its search, apart from the policy parser.
// web/static/reader.js marks a search in the rendered page by the same
// rules (split, fold): the e2e tests hold its hits to the server's.

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

// Punctuate shows the Chinese text of n and its descendants with full-width
// punctuation (package cjk), each node's spans judged together so that a
// comma after a bold phrase sees the phrase. A node marked in another
// language is left as it is.
func Punctuate(n *Node) {
	if n == nil || (n.Lang != "" && !strings.HasPrefix(n.Lang, "zh")) {
		return
	}
	texts := make([]string, len(n.Spans))
	for i, sp := range n.Spans {
		texts[i] = sp.Text
	}
	for i, t := range cjk.PunctuatePieces(texts) {
		n.Spans[i].Text = t
	}
	for _, c := range n.Children {
		Punctuate(c)
	}
}
