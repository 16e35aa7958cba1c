package views

import (
	"context"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/kaiconn/consent/policyview"
)

// PolicyTree writes a policyview tree as HTML on a page in language
// pageLang. The wasm's go-app renderer walks the same tree, so the two
// pages match element for element. A run of text in the other language
// (Chinese in an English text, an English phrase in a Chinese one) is
// marked with its own lang (WCAG 3.1.2), so that a screen reader speaks it
// with the right voice.
func PolicyTree(n *policyview.Node, pageLang string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		var b strings.Builder
		writeNode(&b, n, pageLang)
		_, err := io.WriteString(w, b.String())
		return err
	})
}

func writeNode(b *strings.Builder, n *policyview.Node, inLang string) {
	if n.Lang != "" {
		inLang = n.Lang
	}
	b.WriteString("<" + n.Tag)
	attr(b, "id", n.ID)
	attr(b, "class", n.Class)
	attr(b, "lang", n.Lang)
	attr(b, "data-only", n.Only)
	attr(b, "href", n.Href)
	b.WriteString(">")
	for _, c := range n.Children {
		writeNode(b, c, inLang)
	}
	for _, s := range n.Spans {
		writeSpan(b, s, inLang)
	}
	b.WriteString("</" + n.Tag + ">")
}

func writeSpan(b *strings.Builder, s policyview.Span, inLang string) {
	var closers []string
	if s.Href != "" {
		b.WriteString(`<a href="` + html.EscapeString(s.Href) + `"`)
		if strings.HasPrefix(s.Href, "http") {
			b.WriteString(` rel="noopener noreferrer external"`)
		}
		b.WriteString(">")
		closers = append(closers, "</a>")
	}
	if s.Strong {
		b.WriteString("<strong>")
		closers = append(closers, "</strong>")
	}
	if s.Hit > 0 {
		b.WriteString(`<mark class="kc-hit" id="kc-hit-` + strconv.Itoa(s.Hit) + `">`)
		closers = append(closers, "</mark>")
	}
	writeText(b, s.Text, inLang)
	for i := len(closers) - 1; i >= 0; i-- {
		b.WriteString(closers[i])
	}
}

func attr(b *strings.Builder, name, value string) {
	if value == "" {
		return
	}
	b.WriteString(" " + name + `="` + html.EscapeString(value) + `"`)
}

// writeText writes text, each run in the other language inside a
// <span lang>.
func writeText(b *strings.Builder, text, inLang string) {
	for _, r := range ForeignRuns(text, inLang) {
		if r.Lang == "" {
			b.WriteString(html.EscapeString(r.Text))
			continue
		}
		b.WriteString(`<span lang="` + r.Lang + `">` + html.EscapeString(r.Text) + "</span>")
	}
}

// Run is a piece of text; Lang is set when it is in another language than
// the text around it.
type Run struct {
	Text string
	Lang string
}

// latinPhrase is three or more English words in a row: a phrase, which a
// Chinese voice would misread. Shorter runs in the policy are names and
// technical terms (SDK, IMEI, Cookie, Android id, Bugly crash), which WCAG
// 3.1.2 leaves unmarked.
var latinPhrase = regexp.MustCompile(`[A-Za-z][a-z]+(?: [A-Za-z]?[a-z]+){2,}`)

// hanRun is Chinese text, with the full-width punctuation inside it.
var hanRun = regexp.MustCompile(`\p{Han}(?:[\p{Han}\x{3000}-\x{303F}\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF20}“”‘’·]*\p{Han})?`)

// ForeignRuns cuts text written on a page in language inLang ("en" or
// "zh-Hans") into runs, marking Chinese runs in English text and English
// phrases in Chinese text.
func ForeignRuns(text, inLang string) []Run {
	var re *regexp.Regexp
	var other string
	switch {
	case strings.HasPrefix(inLang, "en"):
		re, other = hanRun, "zh-Hans"
	case strings.HasPrefix(inLang, "zh"):
		re, other = latinPhrase, "en"
	default:
		return []Run{{Text: text}}
	}
	var out []Run
	last := 0
	for _, m := range re.FindAllStringIndex(text, -1) {
		if m[0] > last {
			out = append(out, Run{Text: text[last:m[0]]})
		}
		out = append(out, Run{Text: text[m[0]:m[1]], Lang: other})
		last = m[1]
	}
	if last < len(text) || len(out) == 0 {
		out = append(out, Run{Text: text[last:]})
	}
	return out
}
