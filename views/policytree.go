package views

import (
	"context"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/a-h/templ"
	"github.com/kaiconn/consent/policyview"
)

// PolicyTree writes a policyview tree as HTML. The wasm's go-app renderer
// walks the same tree, so the two pages match element for element.
func PolicyTree(n *policyview.Node) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		var b strings.Builder
		writeNode(&b, n)
		_, err := io.WriteString(w, b.String())
		return err
	})
}

func writeNode(b *strings.Builder, n *policyview.Node) {
	b.WriteString("<" + n.Tag)
	attr(b, "id", n.ID)
	attr(b, "class", n.Class)
	attr(b, "lang", n.Lang)
	attr(b, "data-only", n.Only)
	attr(b, "href", n.Href)
	b.WriteString(">")
	for _, c := range n.Children {
		writeNode(b, c)
	}
	for _, s := range n.Spans {
		writeSpan(b, s)
	}
	b.WriteString("</" + n.Tag + ">")
}

func writeSpan(b *strings.Builder, s policyview.Span) {
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
	b.WriteString(html.EscapeString(s.Text))
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
