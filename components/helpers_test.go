//go:build !wasm

package components

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// fake swaps in a fresh fake browser for one test.
func fake(t *testing.T) *fakeBrowser {
	t.Helper()
	f := &fakeBrowser{}
	old := web
	web = f
	t.Cleanup(func() { web = old })
	return f
}

// render mounts c in go-app's test engine and returns the HTML it draws.
func render(t *testing.T, c app.Composer) string {
	t.Helper()
	e := app.NewTestEngine()
	require.NoError(t, e.Load(c))
	e.ConsumeAll()
	return app.HTMLString(c)
}

// attrs returns the attributes of the element with id in a rendered page.
func attrs(t *testing.T, page, id string) map[string]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	var found map[string]string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			a := map[string]string{}
			for _, at := range n.Attr {
				a[at.Key] = at.Val
			}
			if a["id"] == id {
				found = a
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	require.NotNil(t, found, "no element #%s", id)
	return found
}
