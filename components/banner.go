package components

import (
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/locales/catalogue"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// BannerState is what the server hands the banner in #kc-state.
type BannerState struct {
	Lang string `json:"lang"`
	// Hidden are the form fields the banner's forms carry (lang, embed,
	// origin, theme, gpc), as the server rendered them.
	Hidden []BannerHidden `json:"hidden"`
	// GPC is true when the browser sent Global Privacy Control and the
	// person has not decided yet: the banner says analytics stays off.
	GPC bool `json:"gpc"`
	// Granted is the person's current choice per category; all optional
	// categories are false before any decision.
	Granted map[string]bool `json:"granted"`
	// Ticket is the server-minted receipt id of the choice, which the
	// forms that record it post.
	Ticket string `json:"ticket,omitempty"`
}

// BannerHidden is one hidden form field.
type BannerHidden struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Banner enhances the first layer of /banner: the same three forms as the
// server renders, but Customise opens the per-category choices in place
// instead of loading the second layer. Every choice is still a plain form
// post, so the server records it exactly as without the wasm.
type Banner struct {
	app.Compo
	State BannerState
	// Open is true once the person pressed Customise.
	Open bool
	cats []consent.Purpose
}

func (b *Banner) OnInit() {
	// Read the state before the first render, so the component replaces
	// the server's markup with the same markup, not an empty shell.
	if err := readState(&b.State); err != nil {
		app.Log("banner:", err)
	}
	b.Load(b.State)
}

// Load sets the state and the categories of the current policy version.
func (b *Banner) Load(st BannerState) {
	b.State = st
	if !lang.Valid(b.State.Lang) {
		b.State.Lang = lang.Default
	}
	cat, err := consent.LoadCatalogue(catalogue.FS, catalogue.Latest)
	if err != nil {
		app.Log("banner:", err)
		return
	}
	b.cats = cat.Purposes(consent.SurfaceWebBanner)
}

func (b *Banner) OnMount(ctx app.Context) { enhanced() }

// Customise opens the per-category choices.
func (b *Banner) Customise() { b.Open = true }

func (b *Banner) Render() app.UI {
	l := lang.DefaultBundle().Localizer(b.State.Lang)
	body := []app.UI{
		app.H1().ID("kc-banner-title").Class("kc-banner-title").Text(l.T("banner_title")),
		app.P().Class("kc-banner-intro").Body(
			app.Text(l.T("banner_intro")+" "),
			app.A().Href("/privacy?lang="+b.State.Lang+"#s2-1").Target("_blank").Rel("noopener").Class("kc-policy-link").Text(l.T("banner_policy_link")),
		),
	}
	if b.State.GPC {
		body = append(body, app.P().ID("kc-gpc").Class("kc-gpc").Role("status").Text(l.T("banner_gpc_notice")))
	}
	class := "kc-layer kc-first"
	if b.Open {
		class = "kc-layer kc-choices"
		body = append(body, b.choices(l))
	} else {
		body = append(body, app.Div().Class("kc-actions").Body(
			b.postForm(app.Button().Type("submit").Name("action").Value("accept").ID("kc-accept").Class("kc-btn").Text(l.T("banner_accept_all"))),
			b.postForm(app.Button().Type("submit").Name("action").Value("reject").ID("kc-reject").Class("kc-btn").Text(l.T("banner_reject_all"))),
			// The same element as its neighbours, so no button
			// outweighs another; it opens the choices without a
			// request.
			app.Div().Class("kc-action").Body(
				app.Button().Type("button").ID("kc-customise").Class("kc-btn").Aria("expanded", "false").
					OnClick(func(ctx app.Context, e app.Event) { b.Customise() }).Text(l.T("banner_customise")),
			),
		))
	}
	return app.Div().ID(RootID).Class("kc-root kc-banner").Body(
		app.Section().Class(class).Role("dialog").Aria("labelledby", "kc-banner-title").Body(body...),
	)
}

func (b *Banner) hidden() []app.UI {
	var out []app.UI
	for _, h := range b.State.Hidden {
		out = append(out, app.Input().Type("hidden").Name(h.Name).Value(h.Value))
	}
	return out
}

// posted is what a form that records a choice carries: the hidden fields
// and the ticket.
func (b *Banner) posted() []app.UI {
	out := b.hidden()
	if b.State.Ticket != "" {
		out = append(out, app.Input().Type("hidden").Name("ticket").Value(b.State.Ticket))
	}
	return out
}

func (b *Banner) postForm(button app.UI) app.UI {
	return app.Form().Method("post").Action("/banner/consent").Class("kc-action").Body(append(b.posted(), button)...)
}

// choices renders one box per category: the required one ticked and
// disabled, an optional one ticked only if the person granted it before.
// A box is never given Checked(false), which would render checked="false".
func (b *Banner) choices(l *lang.Localizer) app.UI {
	var rows []app.UI
	for _, p := range b.cats {
		box := app.Input().Type("checkbox").Name("cat").Value(string(p.ID)).ID("kc-cat-" + string(p.ID))
		switch {
		case p.Required:
			box = box.Checked(true).Disabled(true)
		case b.State.Granted[string(p.ID)]:
			box = box.Checked(true)
		}
		label := []app.UI{box, app.Span().Class("kc-category-title").Text(p.Title.In(b.State.Lang))}
		if p.Required {
			label = append(label, app.Span().Class("kc-always-on").Text(l.T("banner_always_on")))
		}
		rows = append(rows, app.Div().Class("kc-category").Body(
			app.Label().Class("kc-category-label").Body(label...),
			app.P().Class("kc-category-desc").Text(p.Description.In(b.State.Lang)),
		))
	}
	fields := append(b.posted(),
		app.FieldSet().Class("kc-categories").Body(append([]app.UI{app.Legend().Text(l.T("banner_choices_legend"))}, rows...)...),
		app.Div().Class("kc-actions").Body(
			app.Button().Type("submit").Name("action").Value("save").ID("kc-save").Class("kc-btn").Text(l.T("banner_save")),
			app.Button().Type("submit").Name("action").Value("accept").ID("kc-accept").Class("kc-btn").Text(l.T("banner_accept_all")),
			app.Button().Type("submit").Name("action").Value("reject").ID("kc-reject").Class("kc-btn").Text(l.T("banner_reject_all")),
		),
	)
	return app.Form().Method("post").Action("/banner/consent").Class("kc-choices-form").Body(fields...)
}
