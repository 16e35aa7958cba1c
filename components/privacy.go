package components

import (
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/policyview"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// PrivacyDoc is what /privacy/doc.json answers: the policy page of one
// version in one language and view, without a search, and the page's UI
// messages in that language (PrivacyMessages, unfilled).
type PrivacyDoc struct {
	Page    policyview.Tree   `json:"page"`
	Strings map[string]string `json:"strings"`
}

// PrivacyMessages are the prefixes of the message ids /privacy shows.
var PrivacyMessages = []string{"privacy_", "lists_link_", "lang_switch", "site_name", "skip_to_content"}

// DocURL is the address of a PrivacyDoc. The wasm fetches the page it
// takes over at start, and the other language or view when the reader
// switches.
func DocURL(version, lang, view string) string {
	q := url.Values{"lang": {lang}}
	if version != "" { // the latest
		q.Set("version", version)
	}
	if view == policyview.Bilingual {
		q.Set("view", view)
	}
	return "/privacy/doc.json?" + q.Encode()
}

// Privacy takes over /privacy: the same page, with search that marks hits as
// the reader types, a language switch and a side-by-side view that change
// in place and keep the reader on the same section. It renders the trees
// the server hands it (/privacy/doc.json) and marks searches in them
// itself; it carries no policy.
type Privacy struct {
	app.Compo

	Lang    string
	View    string
	Query   string
	Version string
	// Current is the search hit the reader stepped to, 1-based; 0 is none.
	Current int

	// Fetch and Browser default to the browser's fetch and the real DOM;
	// tests set their own.
	Fetch   func(path string, v any) error
	Browser Browser

	mu   sync.Mutex
	docs map[string]*PrivacyDoc // by DocURL

	tree   *policyview.Tree
	marked policyview.Marked
	loc    *texts.Localizer
	err    error
}

func (p *Privacy) OnInit() {
	if p.Lang == "" {
		var st struct {
			Lang    string `json:"lang"`
			View    string `json:"view"`
			Query   string `json:"q"`
			Version string `json:"version"`
		}
		if err := readState(&st); err != nil {
			p.err = err
		}
		p.Lang, p.View, p.Query, p.Version = st.Lang, st.View, st.Query, st.Version
	}
	if p.Fetch == nil {
		p.Fetch = getJSON
	}
	if p.Browser == nil {
		p.Browser = domBrowser{}
	}
	if !texts.Valid(p.Lang) {
		p.Lang = texts.Default
	}
	// OnInit runs before go-app mounts the page: waiting here for the
	// page's tree keeps the server's markup until the same markup can
	// replace it.
	if _, err := p.doc(p.Lang, p.View); err != nil {
		p.err = err
		return
	}
	p.rebuild()
}

// doc returns the tree of lang and view, fetching it the first time. It
// blocks until the answer is in: off the UI goroutine once mounted.
func (p *Privacy) doc(lang, view string) (*PrivacyDoc, error) {
	u := DocURL(p.Version, lang, view)
	p.mu.Lock()
	d := p.docs[u]
	p.mu.Unlock()
	if d != nil {
		return d, nil
	}
	d = &PrivacyDoc{}
	if err := p.Fetch(u, d); err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.docs == nil {
		p.docs = map[string]*PrivacyDoc{}
	}
	// Also under the version it names: a page state without a version
	// means the latest, which the answer names.
	p.docs[u] = d
	p.docs[DocURL(d.Page.Version, lang, d.Page.View)] = d
	p.mu.Unlock()
	return d, nil
}

// cached is the tree of lang and view when it has been fetched.
func (p *Privacy) cached(lang, view string) *PrivacyDoc {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.docs[DocURL(p.Version, lang, view)]
}

func (p *Privacy) OnMount(ctx app.Context) { enhanced() }

// rebuild derives what Render shows from the reader's state and the tree
// fetched for it.
func (p *Privacy) rebuild() {
	d := p.cached(p.Lang, p.View)
	if d == nil {
		return
	}
	p.tree = &d.Page
	p.Version, p.View = d.Page.Version, d.Page.View
	p.loc = texts.New(p.Lang, d.Strings)
	p.marked = p.tree.Mark(p.Query)
	if p.Current > p.marked.Hits {
		p.Current = 0
	}
}

// place is the id of the section the reader is in, without a column
// prefix, so it names the same place in either language.
func (p *Privacy) place() string {
	id := p.Browser.TopmostID(".kc-doc section[id], .kc-bi-row section[id], .kc-preamble[id]")
	for _, pre := range []string{"zh-", "en-"} {
		id = strings.TrimPrefix(id, pre)
	}
	return id
}

func (p *Privacy) url(place string) string {
	u := policyview.URL(p.Lang, p.View, p.Query)
	if place != "" {
		u += "#" + place
	}
	return u
}

// The event handlers below only take the event's part; the state changes
// are plain methods a host test can call.

// toggleLang shows the other language and returns the reader's place. Its
// tree must have been fetched (doc).
func (p *Privacy) toggleLang() string {
	place := p.place()
	p.Lang = texts.Other(p.Lang)
	p.rebuild()
	p.Browser.SetCookie("kc_lang", p.Lang, 365*24*3600)
	p.Browser.SetPage(p.Lang, p.loc.T("privacy_title")+" · "+p.loc.T("site_name"))
	p.Browser.ReplaceURL(p.url(place))
	return place
}

// toggleView switches between one language and side by side and returns
// the reader's place. Its tree must have been fetched (doc).
func (p *Privacy) toggleView() string {
	place := p.place()
	p.View = policyview.OtherView(p.View)
	p.rebuild()
	p.Browser.ReplaceURL(p.url(place))
	return place
}

// search marks q throughout the policy.
func (p *Privacy) search(q string) {
	p.Query = q
	p.Current = 0
	p.rebuild()
	p.Browser.ReplaceURL(p.url(""))
}

// step moves to the next (+1) or previous (-1) hit, wrapping around, and
// returns the id of the hit to show; "" when there is none.
func (p *Privacy) step(delta int) string {
	if p.marked.Hits == 0 {
		return ""
	}
	p.Current = (p.Current-1+delta+p.marked.Hits)%p.marked.Hits + 1
	return "kc-hit-" + strconv.Itoa(p.Current)
}

func (p *Privacy) onSwitchLang(ctx app.Context, e app.Event) {
	e.PreventDefault()
	href := ctx.JSSrc().Get("href").String()
	p.whenFetched(ctx, texts.Other(p.Lang), p.View, href, func() {
		place := p.toggleLang()
		ctx.Defer(func(app.Context) { p.Browser.ScrollTo(place) })
	})
}

func (p *Privacy) onSwitchView(ctx app.Context, e app.Event) {
	e.PreventDefault()
	href := ctx.JSSrc().Get("href").String()
	p.whenFetched(ctx, p.Lang, policyview.OtherView(p.View), href, func() {
		place := p.toggleView()
		ctx.Defer(func(app.Context) { p.Browser.ScrollTo(place) })
	})
}

// whenFetched runs apply on the UI goroutine once the tree of lang and view
// is here: at once when it was fetched before, else after fetching it in
// the background. When it cannot be fetched the link is followed instead,
// so the switch still works, as a page load.
func (p *Privacy) whenFetched(ctx app.Context, lang, view, href string, apply func()) {
	if p.cached(lang, view) != nil {
		apply()
		return
	}
	ctx.Async(func() {
		_, err := p.doc(lang, view)
		ctx.Dispatch(func(app.Context) {
			if err != nil {
				p.Browser.Navigate(href)
				return
			}
			apply()
		})
	})
}

func (p *Privacy) onSearch(ctx app.Context, e app.Event) {
	p.search(ctx.JSSrc().Get("value").String())
}

func (p *Privacy) onStep(delta int) app.EventHandler {
	return func(ctx app.Context, e app.Event) {
		e.PreventDefault()
		if id := p.step(delta); id != "" {
			ctx.Defer(func(app.Context) { p.Browser.ScrollTo(id) })
		}
	}
}

func (p *Privacy) Render() app.UI {
	if p.loc == nil {
		// Without its tree the wasm leaves the server's page alone
		// (main does not start go-app then; this is for tests).
		return app.Div().ID(RootID).Class("kc-root").Text(p.err)
	}
	l, pg := p.loc, p.tree
	other := texts.Other(p.Lang)
	return app.Div().ID(RootID).Class("kc-root").Body(
		app.A().Class("kc-skip").Href("#main").Text(l.T("skip_to_content")),
		app.Div().Class("kc-privacy").DataSet("view", pg.View).Body(
			app.Header().Class("kc-bar").Body(
				app.A().Class("kc-brand").Href(policyview.URL(p.Lang, p.View, "")).Text(l.T("site_name")+" · "+l.T("privacy_title")),
				app.Form().Class("kc-search").Role("search").Method("get").Action("/privacy").OnSubmit(p.onStep(1)).Body(
					app.Label().For("kc-q").Class("kc-sr").Text(l.T("privacy_search_label")),
					app.Input().ID("kc-q").Type("search").Name("q").Value(p.Query).Placeholder(l.T("privacy_search_placeholder")).
						AutoComplete(false).Attr("enterkeyhint", "search").OnInput(p.onSearch),
					app.Button().Type("submit").Class("kc-btn").Text(l.T("privacy_search_submit")),
				),
				app.Nav().Class("kc-tools").Aria("label", l.T("privacy_tools")).Body(
					app.A().Class("kc-lang-switch").DataSet("testid", "lang-switch").Href(policyview.URL(other, p.View, p.Query)).
						HrefLang(other).Lang(other).Aria("label", l.T("lang_switch_label")).Text(l.T("lang_switch")).OnClick(p.onSwitchLang),
					app.A().Class("kc-view-switch").DataSet("testid", "view-switch").Href(policyview.URL(p.Lang, policyview.OtherView(p.View), p.Query)).
						Text(viewLabel(l, p.View)).OnClick(p.onSwitchView),
					app.A().Class("kc-choices").Href("/settings/privacy?lang="+p.Lang).Text(l.T("privacy_my_choices")),
					app.A().Class("kc-list-link").DataSet("testid", "list-collected").Href(lists.URL(lists.Collected, p.Lang, "")).Text(l.T("lists_link_collected")),
					app.A().Class("kc-list-link").DataSet("testid", "list-shared").Href(lists.URL(lists.Shared, p.Lang, "")).Text(l.T("lists_link_shared")),
					app.Button().Type("button").Class("kc-print").Text(l.T("privacy_print")).OnClick(func(app.Context, app.Event) { p.Browser.Print() }),
				),
			),
			app.If(p.Query != "", func() app.UI { return p.results() }),
			app.Div().Class("kc-layout").Body(
				p.toc(),
				app.Main().ID("main").Class("kc-main").TabIndex(-1).Body(
					app.P().Class("kc-meta").Body(
						app.Span().Text(l.T("privacy_version", map[string]any{"Version": pg.Version})),
						app.Span().Text(l.T("privacy_updated", map[string]any{"Date": pg.Updated})),
						app.Span().Text(l.T("privacy_effective", map[string]any{"Date": pg.Effective})),
					),
					p.body(),
					app.Footer().Class("kc-doc-foot").Body(
						app.P().Body(app.Text(l.T("privacy_sha")+": "), app.Code().Class("kc-sha").Text(pg.SHA256)),
					),
				),
			),
		),
	)
}

func viewLabel(l *texts.Localizer, view string) string {
	if view == policyview.Bilingual {
		return l.T("privacy_view_single")
	}
	return l.T("privacy_view_bilingual")
}

func (p *Privacy) results() app.UI {
	l, hits := p.loc, p.marked.Hits
	if hits == 0 {
		return app.P().Class("kc-results").Role("status").DataSet("testid", "search-results").Text(l.T("privacy_search_none"))
	}
	return app.P().Class("kc-results").Role("status").DataSet("testid", "search-results").Body(
		app.Span().Text(l.T("privacy_search_results", map[string]any{"Count": hits})),
		app.Button().Type("button").Class("kc-btn").Aria("label", l.T("privacy_search_prev")).Text("↑").
			OnClick(p.onStep(-1)),
		app.Button().Type("button").Class("kc-btn").Aria("label", l.T("privacy_search_next")).Text("↓").
			OnClick(p.onStep(1)),
	)
}

func (p *Privacy) toc() app.UI {
	entry := func(e policyview.TOCEntry) app.UI {
		return app.A().Href("#"+e.ID).Body(app.Span().Class("kc-num").Text(e.Number), app.Text(" "+e.Title))
	}
	return app.Nav().Class("kc-toc").Aria("labelledby", "kc-toc-h").Body(
		app.H2().ID("kc-toc-h").Text(p.loc.T("privacy_contents")),
		app.Ol().Body(app.Range(p.tree.TOC).Slice(func(i int) app.UI {
			e := p.tree.TOC[i]
			return app.Li().Body(
				entry(e),
				app.If(len(e.Children) > 0, func() app.UI {
					return app.Ol().Body(app.Range(e.Children).Slice(func(j int) app.UI {
						return app.Li().Body(entry(e.Children[j]))
					}))
				}),
			)
		})),
	)
}

func (p *Privacy) body() app.UI {
	if p.marked.Body != nil {
		return policyTree(p.marked.Body, p.Current)
	}
	return app.Div().Class("kc-bi").Body(app.Range(p.marked.Rows).Slice(func(i int) app.UI {
		r := p.marked.Rows[i]
		return app.Div().Class("kc-bi-row").DataSet("row", r.ID).Body(policyTree(r.Left, p.Current), policyTree(r.Right, p.Current))
	}))
}
