package components

import (
	"net/url"

	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/lists"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// ListDoc is what /privacy/collected.json and /privacy/shared.json answer:
// the whole list in one language, unfiltered, and the page's UI messages
// in that language (ListMessages, unfilled).
type ListDoc struct {
	List    lists.Data        `json:"list"`
	Strings map[string]string `json:"strings"`
}

// ListMessages are the prefixes of the message ids a list page shows.
var ListMessages = []string{"lists_", "privacy_version", "privacy_updated", "privacy_effective", "lang_switch", "site_name", "skip_to_content"}

// ListURL is the address of a ListDoc.
func ListURL(kind lists.Kind, lang string) string {
	return "/privacy/" + string(kind) + ".json?" + url.Values{"lang": {lang}}.Encode()
}

// Lists takes over /privacy/collected and /privacy/shared: the same page,
// whose filter narrows the list as the reader types instead of on submit.
// It filters the whole list the server hands it (ListDoc) with lists'
// own filter, the one the server's page is made with.
type Lists struct {
	app.Compo

	Lang  string
	Kind  string
	Query string

	// Fetch and Browser default to the browser's fetch and the real DOM;
	// tests set their own.
	Fetch   func(path string, v any) error
	Browser Browser

	doc  *ListDoc
	page lists.Page
	loc  *texts.Localizer
	err  error
}

func (c *Lists) OnInit() {
	if c.Kind == "" {
		var st struct {
			Lang  string `json:"lang"`
			Kind  string `json:"kind"`
			Query string `json:"q"`
		}
		if err := readState(&st); err != nil {
			c.err = err
		}
		c.Lang, c.Kind, c.Query = st.Lang, st.Kind, st.Query
	}
	if c.Fetch == nil {
		c.Fetch = getJSON
	}
	if c.Browser == nil {
		c.Browser = domBrowser{}
	}
	if !texts.Valid(c.Lang) {
		c.Lang = texts.Default
	}
	// As Privacy: wait for the list before go-app mounts the page.
	d := &ListDoc{}
	if err := c.Fetch(ListURL(lists.Kind(c.Kind), c.Lang), d); err != nil {
		c.err = err
		return
	}
	if d.List.Kind != lists.Kind(c.Kind) {
		c.err = errUnknownList
		return
	}
	c.doc = d
	c.loc = texts.New(c.Lang, d.Strings)
	c.rebuild()
}

func (c *Lists) OnMount(ctx app.Context) { enhanced() }

// rebuild derives what Render shows from the reader's filter.
func (c *Lists) rebuild() {
	if c.doc != nil {
		c.page = c.doc.List.Page(c.Query)
	}
}

// filter shows the entries that hold q and writes it into the address, so
// a reload or a shared link shows the same entries.
func (c *Lists) filter(q string) {
	c.Query = q
	c.rebuild()
	c.Browser.ReplaceURL(lists.URL(lists.Kind(c.Kind), c.Lang, c.page.Query))
}

func (c *Lists) onFilter(ctx app.Context, e app.Event) {
	c.filter(ctx.JSSrc().Get("value").String())
}

// onSubmit keeps the reader on the page: the list is already filtered.
func (c *Lists) onSubmit(ctx app.Context, e app.Event) { e.PreventDefault() }

// Render is views.List, element for element.
func (c *Lists) Render() app.UI {
	if c.doc == nil {
		// Without its list the wasm leaves the server's page alone.
		return app.Div().ID(RootID).Class("kc-root").Text(c.err)
	}
	l, p := c.loc, c.page
	other := texts.Other(p.Lang)
	otherKind := lists.Collected
	if p.Kind == lists.Collected {
		otherKind = lists.Shared
	}
	status := []app.UI{app.Span().Text(ListFilterStatus(p, l))}
	if p.Query != "" {
		status = append(status, app.A().Href(lists.URL(p.Kind, p.Lang, "")).DataSet("testid", "filter-clear").Text(l.T("lists_filter_clear")))
	}
	return app.Div().ID(RootID).Class("kc-root").Body(
		app.A().Class("kc-skip").Href("#main").Text(l.T("skip_to_content")),
		app.Link().Rel("stylesheet").Href(web.stylesheet("lists.css")),
		app.Div().Class("kc-privacy kc-listpage").DataSet("list", string(p.Kind)).Body(
			app.Header().Class("kc-bar").Body(
				app.A().Class("kc-brand").Href(lists.URL(p.Kind, p.Lang, "")).Text(l.T("site_name")+" · "+p.Title),
				app.Form().Class("kc-search").Role("search").Method("get").Action("/privacy/"+string(p.Kind)).OnSubmit(c.onSubmit).Body(
					app.Label().For("kc-q").Class("kc-sr").Text(l.T("lists_filter_label")),
					app.Input().ID("kc-q").Type("search").Name("q").Value(p.Query).Placeholder(l.T("lists_filter_placeholder")).
						AutoComplete(false).Attr("enterkeyhint", "search").OnInput(c.onFilter),
					app.Input().Type("hidden").Name("lang").Value(p.Lang),
					app.Button().Type("submit").Class("kc-btn").Text(l.T("lists_filter_submit")),
				),
				app.Nav().Class("kc-tools").Aria("label", l.T("lists_nav")).Body(
					app.A().Class("kc-lang-switch").DataSet("testid", "lang-switch").Href(lists.URL(p.Kind, other, p.Query)).
						HrefLang(other).Lang(other).Aria("label", l.T("lang_switch_label")).Text(l.T("lang_switch")),
					app.A().Href("/privacy?lang="+p.Lang).DataSet("testid", "policy-link").Text(l.T("lists_read_policy")),
					app.A().Href(lists.URL(otherKind, p.Lang, "")).DataSet("testid", "other-list").Text(l.T("lists_"+string(otherKind)+"_title")),
				),
			),
			app.P().Class("kc-results").Role("status").DataSet("testid", "filter-results").Body(status...),
			app.Main().ID("main").Class("kc-main kc-lists-main").TabIndex(-1).Body(
				app.H1().Class("kc-title").Text(p.Title),
				app.P().Class("kc-meta").Body(
					app.Span().Text(l.T("privacy_version", map[string]any{"Version": p.Version})),
					app.Span().Text(l.T("privacy_updated", map[string]any{"Date": p.Updated})),
					app.Span().Text(l.T("privacy_effective", map[string]any{"Date": p.Effective})),
				),
				app.P().Class("kc-intro").Text(l.T("lists_"+string(p.Kind)+"_intro")),
				policyTree(p.Body, 0),
				app.Footer().Class("kc-doc-foot").Body(
					app.P().Text(l.T("lists_generated")),
					app.P().Body(app.Text(l.T("lists_sha")+": "), app.Code().Class("kc-sha").DataSet("testid", "list-sha").Text(p.SHA256)),
				),
			),
		),
	)
}

// ListFilterStatus is what the status line above a list says: how many
// entries the filter shows. The server's view says the same.
func ListFilterStatus(p lists.Page, l *texts.Localizer) string {
	if p.Shown == 0 {
		return l.T("lists_filter_none", map[string]any{"Total": p.Total})
	}
	return l.T("lists_filter_count", map[string]any{"Count": p.Shown, "Total": p.Total})
}
