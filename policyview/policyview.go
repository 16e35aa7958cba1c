//go:build !wasm

package policyview

import (
	"slices"
	"strings"

	"github.com/kaiconn/consent/cjk"
	"github.com/kaiconn/consent/policy"
)

// Options shape a rendering.
type Options struct {
	// Query marks every case-insensitive occurrence in the text. Chinese
	// has no spaces between words, so matching is by substring, not word.
	Query string
	// IDPrefix is put before every id, so that a second column of a
	// side-by-side view does not repeat the first one's ids.
	IDPrefix string
	// OnlyNote returns the note shown on a clause that exists in language
	// only; nil shows none.
	OnlyNote func(only string) string
	// Lang marks the rendered tree's language when it differs from the page.
	Lang string
}

// Result is a rendered document and the number of search hits in it.
type Result struct {
	Root *Node
	Hits int
}

type builder struct {
	opt  Options
	hits int
	q    []rune
	// zh is set for Chinese text, whose ASCII punctuation is shown in
	// full width (package cjk).
	zh bool
}

// Document renders the title, the preamble and every section of d.
func Document(d *policy.Document, opt Options) Result {
	b := &builder{opt: opt, q: fold(strings.TrimSpace(opt.Query)), zh: strings.HasPrefix(d.Lang, "zh")}
	root := &Node{Tag: "article", Class: "kc-doc", Lang: opt.Lang, ID: b.id("doc-" + d.Lang)}
	root.Children = append(root.Children, &Node{Tag: "h1", Class: "kc-title", Spans: b.spans([]policy.Inline{{Text: d.Title}})})
	root.Children = append(root.Children, b.preamble(d))
	for _, s := range d.Sections {
		root.Children = append(root.Children, b.section(s, 2))
	}
	return Result{Root: root, Hits: b.hits}
}

// Section renders one top-level section alone, for a side-by-side row.
func Section(s *policy.Section, opt Options, firstHit int) Result {
	b := &builder{opt: opt, q: fold(strings.TrimSpace(opt.Query)), hits: firstHit, zh: strings.HasPrefix(opt.Lang, "zh")}
	n := b.section(s, 2)
	n.Lang = opt.Lang
	return Result{Root: n, Hits: b.hits - firstHit}
}

// Preamble renders the text before section one alone, for a side-by-side
// row.
func Preamble(d *policy.Document, opt Options, firstHit int) Result {
	b := &builder{opt: opt, q: fold(strings.TrimSpace(opt.Query)), hits: firstHit, zh: strings.HasPrefix(d.Lang, "zh")}
	n := b.preamble(d)
	n.Lang = opt.Lang
	return Result{Root: n, Hits: b.hits - firstHit}
}

func (b *builder) preamble(d *policy.Document) *Node {
	n := &Node{Tag: "div", Class: "kc-preamble", ID: b.id("pre")}
	for _, bl := range d.Preamble {
		n.Children = append(n.Children, b.block(bl))
	}
	return n
}

func (b *builder) id(id string) string {
	if id == "" {
		return ""
	}
	return b.opt.IDPrefix + id
}

func (b *builder) section(s *policy.Section, level int) *Node {
	if level > 6 {
		level = 6
	}
	n := &Node{Tag: "section", ID: b.id(s.ID), Class: "kc-sec kc-l" + string(rune('0'+level)), Only: s.OnlyIn}
	h := &Node{Tag: "h" + string(rune('0'+level)), Class: "kc-h"}
	if s.Number != "" {
		h.Children = append(h.Children, &Node{Tag: "span", Class: "kc-num", Spans: []Span{{Text: b.number(s.Number)}}})
	}
	h.Spans = b.spans([]policy.Inline{{Text: s.Title}})
	n.Children = append(n.Children, h)
	b.onlyNote(n, s.OnlyIn)
	for _, bl := range s.Blocks {
		n.Children = append(n.Children, b.block(bl))
	}
	for _, c := range s.Children {
		n.Children = append(n.Children, b.section(c, level+1))
	}
	return n
}

func (b *builder) onlyNote(n *Node, only string) {
	if only == "" || b.opt.OnlyNote == nil {
		return
	}
	n.Children = append(n.Children, &Node{Tag: "p", Class: "kc-only", Spans: []Span{{Text: b.opt.OnlyNote(only)}}})
}

func (b *builder) block(bl *policy.Block) *Node {
	switch bl.Kind {
	case policy.List, policy.Permissions:
		class := "kc-list"
		if bl.Kind == policy.Permissions {
			class = "kc-perms"
		}
		n := &Node{Tag: "ol", ID: b.id(bl.ID), Class: class, Only: bl.OnlyIn}
		for _, it := range bl.Items {
			n.Children = append(n.Children, b.item(it))
		}
		return n
	case policy.Item:
		// An item outside a list (a clause's own paragraph) reads as one.
		return &Node{Tag: "ol", Class: "kc-list", Children: []*Node{b.item(bl)}}
	case policy.SDKTable:
		return b.sdks(bl)
	case policy.Contact:
		return b.contact(bl)
	}
	n := &Node{Tag: "p", ID: b.id(bl.ID), Only: bl.OnlyIn, Spans: b.spans(bl.Text)}
	if bl.OnlyIn == "" || b.opt.OnlyNote == nil {
		return n
	}
	// The note goes beside the paragraph, so both sit in one wrapper that
	// carries the id.
	n.ID, n.Only = "", ""
	wrap := &Node{Tag: "div", ID: b.id(bl.ID), Class: "kc-only-in", Only: bl.OnlyIn, Children: []*Node{n}}
	b.onlyNote(wrap, bl.OnlyIn)
	return wrap
}

func (b *builder) item(it *policy.Block) *Node {
	if it.Kind == policy.Paragraph {
		// A paragraph belonging to a clause sits in the list as its own
		// unnumbered entry.
		return &Node{Tag: "li", ID: b.id(it.ID), Class: "kc-para", Only: it.OnlyIn, Spans: b.spans(it.Text)}
	}
	li := &Node{Tag: "li", ID: b.id(it.ID), Only: it.OnlyIn}
	if it.Number != "" {
		li.Children = append(li.Children, &Node{Tag: "span", Class: "kc-num", Spans: []Span{{Text: b.number(it.Number)}}})
	}
	li.Children = append(li.Children, &Node{Tag: "span", Class: "kc-text", Spans: b.spans(it.Text)})
	b.onlyNote(li, it.OnlyIn)
	if len(it.Items) > 0 {
		sub := &Node{Tag: "ol", Class: "kc-list"}
		for _, c := range it.Items {
			sub.Children = append(sub.Children, b.item(c))
		}
		li.Children = append(li.Children, sub)
	}
	return li
}

// sdks renders the SDK table as one card per SDK: six columns do not fit a
// 360-px webview, and a definition list reads well to a screen reader.
func (b *builder) sdks(bl *policy.Block) *Node {
	n := &Node{Tag: "div", ID: b.id(bl.ID), Class: "kc-sdks"}
	for _, s := range bl.SDKs {
		card := &Node{Tag: "article", ID: b.id("sdk-" + s.ID), Class: "kc-sdk"}
		h := &Node{Tag: "h4", Class: "kc-h"}
		if s.Number != "" {
			h.Children = append(h.Children, &Node{Tag: "span", Class: "kc-num", Spans: []Span{{Text: b.number(s.Number)}}})
		}
		h.Spans = b.spans([]policy.Inline{{Text: s.Name}})
		dl := &Node{Tag: "dl"}
		field := func(label string, text []policy.Inline) {
			if len(text) == 0 || policy.InlineText(text) == "" {
				return
			}
			dl.Children = append(dl.Children,
				&Node{Tag: "dt", Spans: b.spans([]policy.Inline{{Text: label}})},
				&Node{Tag: "dd", Spans: b.spans(text)})
		}
		field(s.Labels.Function, []policy.Inline{{Text: s.Function}})
		collected := s.CollectedText
		if len(collected) == 0 {
			collected = []policy.Inline{{Text: s.Collected}}
		}
		field(s.Labels.Collected, collected)
		field(s.Labels.Scope, []policy.Inline{{Text: s.Scope}})
		field(s.Labels.Purpose, []policy.Inline{{Text: s.Purpose}})
		field(s.Labels.PolicyURL, []policy.Inline{{Text: s.PolicyURL, Href: s.PolicyURL}})
		card.Children = append(card.Children, h, dl)
		if s.NotesTitle != "" || len(s.Notes) > 0 {
			notes := &Node{Tag: "div", Class: "kc-notes"}
			if s.NotesTitle != "" {
				notes.Children = append(notes.Children, &Node{Tag: "p", Spans: b.spans([]policy.Inline{{Text: s.NotesTitle}})})
			}
			ul := &Node{Tag: "ul"}
			for _, t := range s.Notes {
				ul.Children = append(ul.Children, &Node{Tag: "li", Spans: b.spans([]policy.Inline{{Text: t}})})
			}
			notes.Children = append(notes.Children, ul)
			card.Children = append(card.Children, notes)
		}
		n.Children = append(n.Children, card)
	}
	return n
}

func (b *builder) contact(bl *policy.Block) *Node {
	c := bl.Contact
	n := &Node{Tag: "address", ID: b.id(bl.ID), Class: "kc-contact"}
	if c.Intro != "" {
		n.Children = append(n.Children, &Node{Tag: "p", Spans: b.spans([]policy.Inline{{Text: c.Intro}})})
	}
	ul := &Node{Tag: "ul"}
	for _, it := range bl.Items {
		li := &Node{Tag: "li", ID: b.id(it.ID)}
		text := it.Text
		// The bare values become links a phone can act on.
		switch {
		case strings.HasSuffix(it.ID, "-site") && c.Site != "":
			text = linkify(text, c.Site, c.Site)
		case strings.HasSuffix(it.ID, "-email") && c.Email != "":
			text = linkify(text, c.Email, "mailto:"+c.Email)
		case strings.HasSuffix(it.ID, "-phone") && c.Phone != "":
			text = linkify(text, c.Phone, "tel:+86"+strings.TrimPrefix(digits(c.Phone), "0"))
		}
		li.Spans = b.spans(text)
		ul.Children = append(ul.Children, li)
	}
	n.Children = append(n.Children, ul)
	if c.Outro != "" {
		n.Children = append(n.Children, &Node{Tag: "p", Spans: b.spans([]policy.Inline{{Text: c.Outro}})})
	}
	return n
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// linkify makes the first occurrence of value in runs a link to href.
func linkify(runs []policy.Inline, value, href string) []policy.Inline {
	var out []policy.Inline
	done := false
	for _, r := range runs {
		i := strings.Index(r.Text, value)
		if done || r.Href != "" || i < 0 {
			out = append(out, r)
			continue
		}
		if i > 0 {
			out = append(out, policy.Inline{Text: r.Text[:i], Strong: r.Strong})
		}
		out = append(out, policy.Inline{Text: value, Strong: r.Strong, Href: href})
		if rest := r.Text[i+len(value):]; rest != "" {
			out = append(out, policy.Inline{Text: rest, Strong: r.Strong})
		}
		done = true
	}
	return out
}

// spans splits inline runs at search hits.
func (b *builder) spans(runs []policy.Inline) []Span {
	if b.zh {
		runs = punctuate(runs)
	}
	var out []Span
	for _, r := range runs {
		if r.Text == "" {
			continue
		}
		for _, m := range split(r.Text, b.q) {
			s := Span{Text: m.text, Strong: r.Strong, Href: r.Href}
			if m.hit {
				b.hits++
				s.Hit = b.hits
			}
			out = append(out, s)
		}
	}
	return out
}

// TOC lists the top-level sections and their direct subsections.
func TOC(d *policy.Document) []TOCEntry {
	show := func(s string) string { return s }
	if strings.HasPrefix(d.Lang, "zh") {
		show = cjk.Punctuate
	}
	var out []TOCEntry
	for _, s := range d.Sections {
		e := TOCEntry{ID: s.ID, Number: show(s.Number), Title: show(s.Title)}
		for _, c := range s.Children {
			e.Children = append(e.Children, TOCEntry{ID: c.ID, Number: show(c.Number), Title: show(c.Title)})
		}
		out = append(out, e)
	}
	return out
}

// number is a clause number as shown: "（一）" in Chinese.
func (b *builder) number(n string) string {
	if b.zh {
		return cjk.Punctuate(n)
	}
	return n
}

// punctuate returns Chinese runs with their punctuation in full width.
func punctuate(runs []policy.Inline) []policy.Inline {
	texts := make([]string, len(runs))
	for i, r := range runs {
		texts[i] = r.Text
	}
	out := slices.Clone(runs)
	for i, t := range cjk.PunctuatePieces(texts) {
		out[i].Text = t
	}
	return out
}
