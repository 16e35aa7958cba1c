package components

import (
	"strconv"
	"strings"

	"github.com/kaiconn/consent/policyview"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// policyTree renders a policyview tree; views.PolicyTree writes the same tree
// as HTML on the server. current is the search hit the reader stepped to.
func policyTree(n *policyview.Node, current int) app.UI {
	e := app.Elem(n.Tag)
	if n.ID != "" {
		e = e.ID(n.ID)
	}
	if n.Class != "" {
		e = e.Class(n.Class)
	}
	if n.Lang != "" {
		e = e.Lang(n.Lang)
	}
	if n.Only != "" {
		e = e.DataSet("only", n.Only)
	}
	body := make([]app.UI, 0, len(n.Children)+len(n.Spans))
	for _, c := range n.Children {
		body = append(body, policyTree(c, current))
	}
	for _, s := range n.Spans {
		body = append(body, span(s, current))
	}
	return e.Body(body...)
}

func span(s policyview.Span, current int) app.UI {
	ui := app.Text(s.Text)
	if s.Hit > 0 {
		m := app.Mark().Class("kc-hit").ID("kc-hit-" + strconv.Itoa(s.Hit))
		if s.Hit == current {
			m = m.Class("kc-current").Aria("current", "true")
		}
		ui = m.Body(ui)
	}
	if s.Strong {
		ui = app.Strong().Body(ui)
	}
	if s.Href != "" {
		a := app.A().Href(s.Href)
		if strings.HasPrefix(s.Href, "http") {
			a = a.Rel("noopener noreferrer external")
		}
		ui = a.Body(ui)
	}
	return ui
}
