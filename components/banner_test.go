package components

import (
	"strings"
	"testing"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

// element is a rendered element's tag and attributes; go-app writes
// attributes in no fixed order, so tests compare parsed attributes.
type element struct {
	tag   string
	attrs map[string]string
}

func renderBanner(t *testing.T, st BannerState, open bool) (string, []element) {
	t.Helper()
	b := &Banner{}
	b.Load(st)
	if open {
		b.Customise()
	}
	out := app.HTMLString(b)
	doc, err := html.Parse(strings.NewReader(out))
	require.NoError(t, err)
	var els []element
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			e := element{tag: n.Data, attrs: map[string]string{}}
			for _, a := range n.Attr {
				e.attrs[a.Key] = a.Val
			}
			els = append(els, e)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out, els
}

func find(els []element, tag string, attrs map[string]string) []element {
	var out []element
	for _, e := range els {
		if e.tag != tag {
			continue
		}
		match := true
		for k, v := range attrs {
			if got, ok := e.attrs[k]; !ok || got != v {
				match = false
			}
		}
		if match {
			out = append(out, e)
		}
	}
	return out
}

func TestBanner(t *testing.T) {
	hidden := []BannerHidden{{Name: "lang", Value: "en"}, {Name: "embed", Value: "1"}}
	t.Run("FirstLayer", func(t *testing.T) {
		out, els := renderBanner(t, BannerState{Lang: "en", Hidden: hidden}, false)
		assert.Len(t, find(els, "div", map[string]string{"id": RootID}), 1)
		assert.Len(t, find(els, "button", map[string]string{"class": "kc-btn"}), 3, "three buttons of one element and style")
		assert.Len(t, find(els, "form", map[string]string{"method": "post", "action": "/banner/consent"}), 2, "Accept all and Reject all stay form posts")
		assert.Len(t, find(els, "button", map[string]string{"type": "submit", "name": "action", "value": "accept"}), 1)
		assert.Len(t, find(els, "button", map[string]string{"type": "submit", "name": "action", "value": "reject"}), 1)
		assert.Len(t, find(els, "input", map[string]string{"type": "hidden", "name": "embed", "value": "1"}), 2, "each form carries the hidden fields")
		assert.Empty(t, find(els, "input", map[string]string{"type": "checkbox"}))
		assert.NotContains(t, out, `kc-gpc`)
	})
	t.Run("CustomiseNothingTicked", func(t *testing.T) {
		out, els := renderBanner(t, BannerState{Lang: "en", Hidden: hidden, Granted: map[string]bool{"necessary": true}}, true)
		req := find(els, "input", map[string]string{"type": "checkbox", "value": "necessary"})
		require.Len(t, req, 1)
		assert.Contains(t, req[0].attrs, "checked")
		assert.Contains(t, req[0].attrs, "disabled")
		for _, id := range []string{"preferences", "analytics"} {
			box := find(els, "input", map[string]string{"type": "checkbox", "name": "cat", "value": id, "id": "kc-cat-" + id})
			require.Len(t, box, 1)
			assert.NotContains(t, box[0].attrs, "checked", id)
		}
		assert.NotContains(t, out, `checked="false"`)
		assert.Len(t, find(els, "button", map[string]string{"value": "save"}), 1)
		assert.Len(t, find(els, "input", map[string]string{"type": "hidden", "name": "embed"}), 1)
	})
	t.Run("CustomiseShowsEarlierChoice", func(t *testing.T) {
		out, els := renderBanner(t, BannerState{Lang: "zh-Hans", Granted: map[string]bool{"necessary": true, "analytics": true}}, true)
		assert.Contains(t, find(els, "input", map[string]string{"value": "analytics"})[0].attrs, "checked")
		assert.NotContains(t, find(els, "input", map[string]string{"value": "preferences"})[0].attrs, "checked")
		assert.Contains(t, out, "统计分析Cookie")
	})
	t.Run("GPC", func(t *testing.T) {
		_, els := renderBanner(t, BannerState{Lang: "en", GPC: true}, false)
		assert.Len(t, find(els, "p", map[string]string{"id": "kc-gpc"}), 1)
	})
}
