//go:build !wasm

package policyview

import (
	"github.com/kaiconn/consent/policy"
)

// Page is everything the policy page shows of one version.
type Page struct {
	Version *policy.Version
	Lang    string // the reader's language
	View    string // Single or Bilingual
	Query   string
	Doc     *policy.Document // the reader's language
	Body    *Node            // the single-language document, or nil
	Rows    []Row            // the side-by-side rows, or nil
	Hits    int
	TOC     []TOCEntry
}

// Build renders version v for a reader. note gives the text that marks a
// clause present in one language only, in the reader's language.
func Build(v *policy.Version, lang, view, query string, note func(only string) string) Page {
	doc, ok := v.Doc(lang)
	if !ok {
		lang = policy.LangEN
		doc, _ = v.Doc(lang)
	}
	p := Page{Version: v, Lang: lang, View: view, Query: query, Doc: doc, TOC: TOC(doc)}
	if view != Bilingual {
		p.View = Single
		r := Document(doc, Options{Query: query, OnlyNote: note})
		p.Body, p.Hits = r.Root, r.Hits
		return p
	}
	zh, _ := v.Doc(policy.LangZH)
	en, _ := v.Doc(policy.LangEN)
	// Ids stay bare in the reader's column so deep links land there.
	prefix := map[string]string{policy.LangZH: "zh-", policy.LangEN: "en-"}
	prefix[lang] = ""
	hits := 0
	opt := func(d *policy.Document) Options {
		return Options{Query: query, OnlyNote: note, IDPrefix: prefix[d.Lang], Lang: d.Lang}
	}
	add := func(r Result) *Node {
		hits += r.Hits
		return r.Root
	}
	p.Rows = append(p.Rows, Row{ID: "pre",
		Left:  add(Preamble(zh, opt(zh), hits)),
		Right: add(Preamble(en, opt(en), hits))})
	// The loader guarantees both languages have the same ten sections.
	for i, s := range zh.Sections {
		p.Rows = append(p.Rows, Row{ID: s.ID,
			Left:  add(Section(s, opt(zh), hits)),
			Right: add(Section(en.Sections[i], opt(en), hits))})
	}
	p.Hits = hits
	return p
}
