package banner

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/httperr"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
	"github.com/kaiconn/consent/views"
	"github.com/kaiconn/consent/web"
	"github.com/kaiconn/consent/web/pipeline"
)

// Default lifetimes of the consent cookie. A refusal is kept for about six
// months and an acceptance for a year, as the CNIL recommends: a person who
// refused is asked again sooner, a person who agreed is not pestered.
const (
	defaultConsentMaxAgeAccept = 365 * 24 * time.Hour
	defaultConsentMaxAgeReject = 182 * 24 * time.Hour
)

// embedConfigMarker is replaced in web/static/embed.js by the catalogue's
// web categories when the server serves /embed.js, so the script needs no
// second request before it can gate anything.
const embedConfigMarker = "/*KC_CONFIG*/null"

// embedTokensMarker is replaced in web/static/embed.js by the design
// tokens the first layer uses (bannerTokenCSS): the shadow root cannot link
// tokens.css across origins, and inlining them here keeps tokens.css their
// one source.
const embedTokensMarker = `/*KC_TOKENS*/""`

// Banner serves the website's cookie banner: /embed.js, the
// server-rendered banner page that works without any script, its form
// posts and the demo host page.
type Banner struct {
	d      Deps
	cat    *consent.Catalogue
	config []byte // JSON given to embed.js and served at /banner/config
	embed  []byte // embed.js with config
	etag   string
}

// Mount adds the banner's routes to r.
func (b *Banner) Mount(r chi.Router) {
	r.Get("/embed.js", b.handleEmbed)
	r.Get("/banner", b.handlePage)
	r.Get("/banner/config", b.handleConfig)
	r.Get("/banner/state", b.handleState)
	r.Get("/banner/ticket", b.handleTicket)
	// CORS outside the guard, so that the site's pages can read a refusal
	// (429, 400) as well as an acknowledgement.
	r.Method(http.MethodPost, "/banner/consent", b.cors(b.d.Protect(b.handleDecide)))
	r.Get("/demo", b.handleDemo)
	r.Get("/demo/frame", b.handleDemoFrame)
}

// New prepares the banner for the policy version of d.Catalogue, the
// latest: its categories and embed.js with its configuration inlined.
func New(d Deps) (*Banner, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	b := &Banner{d: d, cat: d.Catalogue}
	var err error
	if b.config, err = b.embedConfig(d.Msgs); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(web.Static, "static")
	src, err := pipeline.Join(static, "embed.js")
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(src, []byte(embedConfigMarker)) {
		return nil, fmt.Errorf("embed.js: the config marker %q is missing", embedConfigMarker)
	}
	if !bytes.Contains(src, []byte(embedTokensMarker)) {
		return nil, fmt.Errorf("embed.js: the tokens marker %q is missing", embedTokensMarker)
	}
	tokens, err := web.Static.ReadFile("static/tokens.css")
	if err != nil {
		return nil, err
	}
	css, err := bannerTokenCSS(tokens)
	if err != nil {
		return nil, fmt.Errorf("tokens.css: %w", err)
	}
	quoted, err := json.Marshal(css)
	if err != nil {
		return nil, err
	}
	src = bytes.Replace(src, []byte(embedTokensMarker), quoted, 1)
	// Minified after the markers are replaced: a minifier drops the
	// comments that mark them.
	if b.embed, err = pipeline.Minify("text/javascript", bytes.Replace(src, []byte(embedConfigMarker), b.config, 1)); err != nil {
		return nil, fmt.Errorf("embed.js: %w", err)
	}
	sum := sha256.Sum256(b.embed)
	b.etag = `"` + hex.EncodeToString(sum[:8]) + `"`
	return b, nil
}

// bannerTokens are the properties of the first layer's shadow root: each
// private property (--_xx, what embed.js's rules use) takes the first of
// the public --kc-* properties set on <kaiconn-banner> or inherited from the
// page (docs/banner.md, "Theming"), else the token's value in tokens.css,
// light or dark. The banner's own older names come first: a site sets them
// for the banner alone, so they win over a token its page may define.
var bannerTokens = []struct {
	private string
	public  []string
	token   string
}{
	{"--_bg", []string{"--kc-bg"}, "--kc-bg"},
	{"--_fg", []string{"--kc-fg", "--kc-text"}, "--kc-text"},
	{"--_mu", []string{"--kc-muted", "--kc-text-2"}, "--kc-text-2"},
	{"--_sf", []string{"--kc-surface"}, "--kc-surface"},
	{"--_ln", []string{"--kc-line", "--kc-border"}, "--kc-border"},
	{"--_bb", []string{"--kc-btn-bg", "--kc-accent"}, "--kc-accent"},
	// A site that sets only the button colour keeps it on hover.
	{"--_bh", []string{"--kc-btn-bg", "--kc-accent-hover", "--kc-accent"}, "--kc-accent-hover"},
	{"--_bf", []string{"--kc-btn-fg", "--kc-accent-text"}, "--kc-accent-text"},
	{"--_fo", []string{"--kc-focus"}, "--kc-focus"},
	{"--_sh", []string{"--kc-shadow-sheet"}, "--kc-shadow-sheet"},
}

// bannerShapeTokens do not change with the scheme.
var bannerShapeTokens = []struct {
	private string
	public  []string
	value   func(t map[string]string) string
}{
	{"--_ra", []string{"--kc-radius"}, func(t map[string]string) string { return t["--kc-radius"] }},
	{"--_rl", []string{"--kc-radius-lg"}, func(t map[string]string) string { return t["--kc-radius-lg"] }},
	{"--_tg", []string{"--kc-target"}, func(t map[string]string) string { return t["--kc-target"] }},
	// rem would follow the site's root size (often 10 px); the layer's
	// text must not shrink below 16 px.
	{"--_fs", []string{"--kc-font-size"}, func(map[string]string) string { return "16px" }},
	{"--_fc", []string{"--kc-font"}, func(t map[string]string) string { return t["--kc-font-cjk"] }},
	{"--_fl", []string{"--kc-font"}, func(t map[string]string) string { return t["--kc-font-latin"] + ", " + t["--kc-font-cjk"] }},
}

// bannerTokenCSS builds the custom-property defaults of the first layer's
// shadow root from tokens.css: the light values on :host, the dark ones
// under prefers-color-scheme (unless the host says data-theme=light) and
// under data-theme=dark, as tokens.css does for :root.
func bannerTokenCSS(tokensCSS []byte) (string, error) {
	light, err := pipeline.CustomProperties(tokensCSS, ":root")
	if err != nil {
		return "", err
	}
	dark, err := pipeline.CustomProperties(tokensCSS, `:root[data-theme="dark"]`)
	if err != nil {
		return "", err
	}
	decls := func(vals map[string]string) (string, error) {
		var b strings.Builder
		for _, t := range bannerTokens {
			v, ok := vals[t.token]
			if !ok {
				return "", fmt.Errorf("token %s is missing", t.token)
			}
			b.WriteString(t.private + ":" + varChain(t.public, v) + ";")
		}
		return b.String(), nil
	}
	l, err := decls(light)
	if err != nil {
		return "", err
	}
	d, err := decls(dark)
	if err != nil {
		return "", err
	}
	var shape strings.Builder
	for _, t := range bannerShapeTokens {
		v := t.value(light)
		if strings.TrimSpace(v) == "" || strings.HasPrefix(v, ",") {
			return "", fmt.Errorf("token for %s is missing", t.private)
		}
		shape.WriteString(t.private + ":" + varChain(t.public, v) + ";")
	}
	return ":host{" + l + shape.String() + "}" +
		"@media (prefers-color-scheme:dark){:host(:not([data-theme=light])){" + d + "}}" +
		":host([data-theme=dark]){" + d + "}", nil
}

// varChain is var(--a,var(--b,fallback)).
func varChain(names []string, fallback string) string {
	out := fallback
	for i := len(names) - 1; i >= 0; i-- {
		out = "var(" + names[i] + "," + out + ")"
	}
	return out
}

// embedCategory is one web category as embed.js sees it; short keys keep
// the script small.
type embedCategory struct {
	ID          consent.PurposeID `json:"id"`
	Required    bool              `json:"r,omitempty"`
	Cookies     []string          `json:"k,omitempty"`
	ConsentMode []string          `json:"m,omitempty"`
}

// embedText is the first layer's text in one language, rendered by
// embed.js itself so that the banner needs no request of its own.
type embedText struct {
	Label     string `json:"label"` // the region's name, and the second layer frame's title
	Title     string `json:"title"`
	Intro     string `json:"intro"`
	Policy    string `json:"policy"`
	PolicyURL string `json:"policyURL"` // path on the consent host
	GPC       string `json:"gpc"`
	Accept    string `json:"accept"`
	Reject    string `json:"reject"`
	Customise string `json:"customise"`
}

// EmbedConfig is what embed.js carries and /banner/config serves. The
// keys are the script's, not a public contract (docs/banner.md).
type EmbedConfig struct {
	Version    string               `json:"v"`
	Categories []embedCategory      `json:"c"`
	Signals    []string             `json:"s"`
	Text       map[string]embedText `json:"l"`
	// MaxAge is the cookie's lifetime in seconds: after granting every
	// optional category, and after refusing any.
	MaxAge [2]int `json:"a"`
	Domain string `json:"d,omitempty"` // Config.CookieDomain
}

func (b *Banner) embedConfig(msgs *lang.Bundle) ([]byte, error) {
	c := EmbedConfig{Version: b.cat.Version(), Signals: consent.Signals, Text: map[string]embedText{}, Domain: b.d.Config.CookieDomain}
	for _, p := range b.cat.Purposes(consent.SurfaceWebBanner) {
		c.Categories = append(c.Categories, embedCategory{ID: p.ID, Required: p.Required, Cookies: p.Cookies, ConsentMode: p.ConsentMode})
	}
	accept, reject := b.lifetimes()
	c.MaxAge = [2]int{int(accept / time.Second), int(reject / time.Second)}
	for _, l := range lang.All {
		loc := msgs.Localizer(l)
		c.Text[l] = embedText{
			Label: loc.T("banner_frame_title"), Title: loc.T("banner_title"), Intro: loc.T("banner_intro"),
			Policy: loc.T("banner_policy_link"), PolicyURL: policyURL(l), GPC: loc.T("banner_gpc_notice"),
			Accept: loc.T("banner_accept_all"), Reject: loc.T("banner_reject_all"), Customise: loc.T("banner_customise"),
		}
	}
	return json.Marshal(c)
}

// policyURL is the part of the policy that explains cookies.
func policyURL(l string) string {
	return "/privacy?" + url.Values{"lang": {l}}.Encode() + "#s2-1"
}

// handleEmbed serves embed.js to any site. It is public and cacheable: an
// hour keeps a new policy version's categories from waiting long, and the
// ETag makes revalidation cheap.
func (b *Banner) handleEmbed(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=3600, stale-while-revalidate=86400")
	h.Set("Access-Control-Allow-Origin", "*")
	// Sites that isolate themselves (COEP) may only load resources that
	// opt in to being embedded across origins.
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("ETag", b.etag)
	http.ServeContent(w, r, "embed.js", time.Time{}, bytes.NewReader(b.embed))
}

func (b *Banner) handleConfig(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	w.Write(b.config)
}

// bannerParams are the query parameters embed.js passes to the banner
// frame and the forms carry from page to page.
type bannerParams struct {
	Lang   string
	Embed  bool
	Origin string // the embedding page's origin, checked by allowedParent
	Theme  string
	Open   bool // the person opened the banner themselves
	GPC    bool
}

func (b *Banner) params(r *http.Request, v url.Values) bannerParams {
	var cookie string
	if c, err := r.Cookie(b.d.LangCookie); err == nil {
		cookie = c.Value
	}
	// lang.Choose, not readerLang: the banner must not set the language
	// cookie, which is a preference cookie the person has not agreed to.
	p := bannerParams{
		Lang:  lang.Choose(v.Get("lang"), cookie, r.Header.Get("Accept-Language")),
		Embed: v.Get("embed") == "1",
		Open:  v.Get("open") == "1",
		GPC:   r.Header.Get("Sec-GPC") == "1" || v.Get("gpc") == "1",
	}
	if t := v.Get("theme"); t == "light" || t == "dark" {
		p.Theme = t
	}
	if o := v.Get("origin"); b.allowedParent(r, o) {
		p.Origin = o
	}
	return p
}

// query renders p for a link or redirect back to the banner.
func (p bannerParams) query(extra ...string) string {
	v := url.Values{"lang": {p.Lang}}
	if p.Embed {
		v.Set("embed", "1")
	}
	if p.Origin != "" {
		v.Set("origin", p.Origin)
	}
	if p.Theme != "" {
		v.Set("theme", p.Theme)
	}
	if p.GPC {
		v.Set("gpc", "1")
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v.Encode()
}

func (p bannerParams) hidden() []views.Hidden {
	h := []views.Hidden{{Name: "lang", Value: p.Lang}}
	if p.Embed {
		h = append(h, views.Hidden{Name: "embed", Value: "1"})
	}
	if p.Origin != "" {
		h = append(h, views.Hidden{Name: "origin", Value: p.Origin})
	}
	if p.Theme != "" {
		h = append(h, views.Hidden{Name: "theme", Value: p.Theme})
	}
	if p.GPC {
		h = append(h, views.Hidden{Name: "gpc", Value: "1"})
	}
	return h
}

// allowedParent reports whether origin may embed the banner and receive its
// messages: our own origin or one of Config.BannerOrigins. Anything else is
// ignored, so the banner never posts a decision to a page it does not know.
func (b *Banner) allowedParent(r *http.Request, origin string) bool {
	if origin == "" {
		return false
	}
	return origin == b.d.SelfOrigin(r) || slices.Contains(b.d.Config.Origins, origin)
}

// setFrameAncestors widens the global frame-ancestors 'self' for the banner
// page only, to the configured site origins; every other directive stays.
func (b *Banner) setFrameAncestors(w http.ResponseWriter) {
	if len(b.d.Config.Origins) == 0 {
		return
	}
	w.Header().Set("Content-Security-Policy", strings.Replace(b.d.CSP,
		"frame-ancestors 'self'", "frame-ancestors 'self' "+strings.Join(b.d.Config.Origins, " "), 1))
}

// current returns the visitor's valid decision under the current policy
// version. A missing, malformed, tampered or stale cookie is no decision,
// never consent; present is true when a cookie was sent at all.
func (b *Banner) current(r *http.Request, l string) (d consent.Decision, c Cookie, ok, present bool) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		return d, c, false, false
	}
	c, err = ParseCookie(ck.Value, b.d.Key)
	if err != nil {
		return d, c, false, true
	}
	d, err = DecisionFromCookie(b.cat, c, l)
	if err != nil {
		return d, c, false, true
	}
	return d, c, true, true
}

// lifetimes are the consent cookie's lifetimes after granting every
// optional category and after refusing any.
func (b *Banner) lifetimes() (accept, reject time.Duration) {
	accept, reject = b.d.Config.MaxAgeAccept, b.d.Config.MaxAgeReject
	if accept <= 0 {
		accept = defaultConsentMaxAgeAccept
	}
	if reject <= 0 {
		reject = defaultConsentMaxAgeReject
	}
	return accept, reject
}

func (b *Banner) maxAge(d consent.Decision) time.Duration {
	accept, reject := b.lifetimes()
	// A decision that refuses anything lives as long as a refusal, so the
	// refused categories are asked again no later than after Reject all.
	if d.Refused() {
		return reject
	}
	return accept
}

func (b *Banner) cookie(r *http.Request, value string, maxAge time.Duration) *http.Cookie {
	return &http.Cookie{
		Name:     CookieName,
		Value:    value,
		Path:     "/",
		Domain:   b.d.Config.CookieDomain,
		MaxAge:   int(maxAge / time.Second),
		SameSite: http.SameSiteLaxMode,
		Secure:   b.d.HTTPS(r),
	}
}

func (b *Banner) handlePage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := b.params(r, q)
	d, _, ok, present := b.current(r, p.Lang)
	if present && !ok {
		// Forget a value we cannot trust so embed.js stops reading it.
		http.SetCookie(w, b.cookie(r, "", -time.Second))
	}
	ticket := b.d.PageTicket(r)
	v := b.view(p, d, ok, ticket)
	switch {
	case q.Get("layer") == "2":
		v.Layer = views.BannerLayerChoices
	case q.Get("layer") == "done" || (ok && !p.Open):
		if !ok {
			// The cookie did not arrive (a browser blocking cookies in
			// frames): use the signed value the form post handed on.
			if c, err := ParseCookie(q.Get("c"), b.d.Key); err == nil {
				if d, err = DecisionFromCookie(b.cat, c, p.Lang); err == nil {
					v, ok = b.view(p, d, true, ticket), true
				}
			}
		}
		if ok {
			v.Layer = views.BannerLayerDone
			v.Decision = b.cookieValue(r, q)
			v.MaxAge = int(b.maxAge(d) / time.Second)
		}
	}
	b.setFrameAncestors(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Cookie, Sec-GPC, Accept-Language")
	if err := views.BannerPage(v, b.d.Msgs.Localizer(p.Lang)).Render(r.Context(), w); err != nil {
		b.d.Log.Error("render banner", "err", err)
	}
}

// cookieValue is the signed value the done page hands to embed.js: the
// request's cookie when valid, else the one the form post passed on.
func (b *Banner) cookieValue(r *http.Request, q url.Values) string {
	if ck, err := r.Cookie(CookieName); err == nil {
		if _, err := ParseCookie(ck.Value, b.d.Key); err == nil {
			return ck.Value
		}
	}
	return q.Get("c")
}

func (b *Banner) view(p bannerParams, d consent.Decision, decided bool, ticket string) views.BannerView {
	v := views.BannerView{
		Lang:         p.Lang,
		Layer:        views.BannerLayerFirst,
		Embed:        p.Embed,
		ParentOrigin: p.Origin,
		Theme:        p.Theme,
		GPC:          p.GPC && !decided,
		Decided:      decided,
		Hidden:       p.hidden(),
		PolicyURL:    policyURL(p.Lang),
		ChoicesURL:   "/banner?" + p.query("layer", "2"),
		FirstURL:     "/banner?" + p.query("open", "1"),
		Ticket:       ticket,
	}
	for _, c := range b.cat.Purposes(consent.SurfaceWebBanner) {
		on := c.Required || (decided && d.Granted(c.ID))
		v.Categories = append(v.Categories, views.BannerCategory{
			ID: string(c.ID), Title: c.Title.Show(p.Lang), Description: c.Description.Show(p.Lang),
			Required: c.Required, Checked: on,
		})
	}
	return v
}

// handleDecide records a choice made with the banner's forms and sets the
// consent cookie. A form (the frame, no script) is sent to the confirmation
// (303), so it works with no script at all. embed.js posts in the
// background with Accept: application/json and gets the outcome as JSON
// (Outcome); it retries until acknowledged, so a retry of a stored
// choice is answered as the first post was, and stores nothing. The form
// guard has checked where the post came from and its rate
// (Deps.Protect).
func (b *Banner) handleDecide(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		b.fail(w, r, errs.New(errs.Invalid, "form: unreadable"))
		return
	}
	p := b.params(r, r.PostForm)
	d, err := b.decision(r.PostForm, p.Lang, b.d.Now())
	if err != nil {
		b.fail(w, r, err)
		return
	}
	switch rec, ok, err := b.d.Resent(r, d); {
	case err != nil:
		b.fail(w, r, err)
		return
	case ok:
		b.replay(w, r, p, rec)
		return
	}
	// A visitor is known by the subject credential the server gave their
	// browser with their first choice (kc_sub): a new choice joins that
	// subject's chain, so withdrawing shows as such in one chain. A first
	// choice starts a new pseudonymous subject.
	c, err := b.d.PostCredential(r.Context(), r)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	if !c.ShownAt.IsZero() {
		d.At = recorder.DecidedAt(r.PostForm.Get("at"), c.ShownAt, d.At)
	}
	receiptID, kind, err := b.d.Record(r.Context(), d, &c, true)
	if err != nil {
		b.fail(w, r, err)
		return
	}
	if c.Replay {
		// Another post of this ticket stored this very choice first.
		rec, err := b.d.Stored(r.Context(), receiptID)
		if err != nil {
			b.fail(w, r, err)
			return
		}
		b.replay(w, r, p, rec)
		return
	}
	d.Kind = kind
	b.d.SetSubject(w, r, c.Subject)
	ck := cookieFromDecision(b.cat, d, receiptID)
	if !c.ShownAt.IsZero() && receiptID == c.ReceiptID {
		// The time in the cookie is when the banner was shown, the ticket's
		// mint time: the value embed.js wrote from the pre-signed cookies
		// of GET /banner/ticket is then exactly this one.
		ck.At = c.ShownAt.Truncate(time.Second)
	}
	value := ck.Encode(b.d.Key)
	http.SetCookie(w, b.cookie(r, value, b.maxAge(d)))
	if b.d.WantsJSON(r) {
		b.d.WriteJSON(w, http.StatusCreated, Outcome{Receipt: receiptID, Cookie: value, MaxAge: int(b.maxAge(d) / time.Second), At: ck.At})
		return
	}
	http.Redirect(w, r, "/banner?"+p.query("layer", "done", "c", value), http.StatusSeeOther)
}

// Outcome answers a choice embed.js posted: the receipt it is
// recorded under and the signed cookie that names it. embed.js writes the
// cookie when it differs from the one it wrote at the click (the ticket
// could not be used, or the click came before the ticket).
type Outcome struct {
	Receipt string    `json:"receipt"`
	Cookie  string    `json:"cookie"`
	MaxAge  int       `json:"maxAge"` // seconds
	At      time.Time `json:"at"`     // the time in the cookie
}

// replay answers a choice whose ticket already holds it, stored by an
// earlier post, as that post was answered: its receipt and cookie. It sets
// no kc_sub (Deps.Resent).
func (b *Banner) replay(w http.ResponseWriter, r *http.Request, p bannerParams, rec receipt.Record) {
	c := b.cookieFromRecord(rec)
	value := c.Encode(b.d.Key)
	http.SetCookie(w, b.cookie(r, value, b.maxAgeOf(c)))
	if b.d.WantsJSON(r) {
		b.d.WriteJSON(w, http.StatusOK, Outcome{Receipt: rec.ID, Cookie: value, MaxAge: int(b.maxAgeOf(c) / time.Second), At: c.At})
		return
	}
	http.Redirect(w, r, "/banner?"+p.query("layer", "done", "c", value), http.StatusSeeOther)
}

// fail answers a refused or failed choice: JSON to embed.js, text to a form.
func (b *Banner) fail(w http.ResponseWriter, r *http.Request, err error) {
	b.d.WriteError(w, r, err)
}

// cookieFromRecord is the cookie of a stored banner receipt, as the post
// that stored it answered.
func (b *Banner) cookieFromRecord(rec receipt.Record) Cookie {
	c := Cookie{PolicyVersion: rec.PolicyVersion, At: rec.IssuedAt.Truncate(time.Second), ReceiptID: rec.ID}
	if !rec.ShownAt.IsZero() {
		c.At = rec.ShownAt.Truncate(time.Second)
	}
	for _, p := range b.cat.Purposes(consent.SurfaceWebBanner) {
		if receipt.InEffect(rec.States[string(p.ID)]) {
			c.Granted = append(c.Granted, p.ID)
		}
	}
	return c
}

// maxAgeOf is the lifetime of a cookie: the accepting one when it grants
// every category, the refusing one otherwise.
func (b *Banner) maxAgeOf(c Cookie) time.Duration {
	accept, reject := b.lifetimes()
	if len(c.Granted) == len(b.cat.Purposes(consent.SurfaceWebBanner)) {
		return accept
	}
	return reject
}

// maxPresigned is the most optional categories GET /banner/ticket signs
// every combination of (2^k cookies); beyond it embed.js writes the
// cookie from the post's answer instead.
const maxPresigned = 6

// Ticket answers GET /banner/ticket: a ticket for the choice about
// to be made, and the kc_consent value of every possible choice signed for
// its receipt id and mint time, keyed by the granted ids joined by "_". So
// embed.js writes a valid cookie the moment the person chooses, without
// holding the key and without waiting for the post.
type Ticket struct {
	Ticket  string            `json:"ticket"`
	Receipt string            `json:"receipt"`
	At      time.Time         `json:"at"`
	Cookies map[string]string `json:"cookies,omitempty"`
}

// handleTicket mints a ticket for the browser's subject (kc_sub) or a
// fresh one. Only our own pages and Config.BannerOrigins may read it
// (credentialed CORS); a page of another origin is refused outright.
func (b *Banner) handleTicket(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Cookie, Origin")
	if o := r.Header.Get("Origin"); o != "" && !b.allowedParent(r, o) {
		// The refusal itself is readable, so that embed.js on that page
		// stops asking instead of retrying as if offline; it holds nothing.
		if o != "null" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		b.d.WriteJSON(w, http.StatusForbidden, httperr.BodyOf(errs.New(errs.Forbidden, "cross-origin ticket refused: only the site's own pages may ask")))
		return
	}
	b.allowCredentialed(w, r)
	subject := b.d.CookieSubject(r)
	if subject == "" {
		subject = receipt.NewSubject()
	}
	tk := credential.MintTicket(subject, b.d.Now())
	out := Ticket{Ticket: b.d.TicketValue(tk), Receipt: tk.ReceiptID, At: tk.MintedAt}
	var required, optional []consent.PurposeID
	for _, p := range b.cat.Purposes(consent.SurfaceWebBanner) {
		if p.Required {
			required = append(required, p.ID)
		} else {
			optional = append(optional, p.ID)
		}
	}
	if len(optional) <= maxPresigned {
		out.Cookies = map[string]string{}
		for mask := 0; mask < 1<<len(optional); mask++ {
			granted := slices.Clone(required)
			for i, id := range optional {
				if mask&(1<<i) != 0 {
					granted = append(granted, id)
				}
			}
			c := cookieFromGranted(b.cat, granted, tk)
			out.Cookies[strings.Join(purposeStrings(c.Granted), "_")] = c.Encode(b.d.Key)
		}
	}
	b.d.WriteJSON(w, http.StatusOK, out)
}

// cookieFromGranted is the cookie of a choice that grants the ids, made
// under ticket tk; the ids are put in catalogue order.
func cookieFromGranted(cat *consent.Catalogue, granted []consent.PurposeID, tk credential.Ticket) Cookie {
	c := Cookie{PolicyVersion: cat.Version(), At: tk.MintedAt.Truncate(time.Second), ReceiptID: tk.ReceiptID}
	for _, p := range cat.Purposes(consent.SurfaceWebBanner) {
		if slices.Contains(granted, p.ID) {
			c.Granted = append(c.Granted, p.ID)
		}
	}
	return c
}

func purposeStrings(ids []consent.PurposeID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// allowCredentialed lets the page of an allowed origin (ours,
// Config.BannerOrigins) read the answer of a credentialed request.
func (b *Banner) allowCredentialed(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && b.allowedParent(r, o) {
		w.Header().Set("Access-Control-Allow-Origin", o)
		w.Header().Set("Access-Control-Allow-Credentials", "true")
		// embed.js retries an answer that carries Retry-After (a 409
		// for a busy chain, a 429), so the site's page must read it.
		w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
	}
}

// cors answers the credentialed CORS requests of the site's pages: the
// choice embed.js posts in the background is a simple request (a form
// body, Accept: application/json), so no preflight precedes it.
func (b *Banner) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		b.allowCredentialed(w, r)
		next.ServeHTTP(w, r)
	})
}

// decision turns the posted form into a decision: action accept, reject or
// save with the ticked categories in cat.
func (b *Banner) decision(form url.Values, l string, now time.Time) (consent.Decision, error) {
	var optional []consent.PurposeID
	for _, p := range b.cat.Purposes(consent.SurfaceWebBanner) {
		if !p.Required {
			optional = append(optional, p.ID)
		}
	}
	switch form.Get("action") {
	case "accept":
		return consent.Agree(b.cat, consent.SurfaceWebBanner, optional, l, now)
	case "reject":
		return consent.Decline(b.cat, consent.SurfaceWebBanner, l, now)
	case "save":
		var ticked []consent.PurposeID
		for _, id := range form["cat"] {
			if p, ok := b.cat.Purpose(consent.SurfaceWebBanner, consent.PurposeID(id)); ok && p.Required {
				continue // always on; the disabled box is not even posted
			}
			ticked = append(ticked, consent.PurposeID(id))
		}
		if len(ticked) == 0 {
			return consent.Decline(b.cat, consent.SurfaceWebBanner, l, now)
		}
		return consent.Agree(b.cat, consent.SurfaceWebBanner, ticked, l, now)
	}
	return consent.Decision{}, errs.New(errs.Invalid, "action: want accept, reject or save, have %q", form.Get("action"))
}

// State is the answer of /banner/state: what the server makes of the
// visitor's consent cookie, for pages that want the MAC checked rather
// than only the format embed.js can check.
type State struct {
	Decided       bool              `json:"decided"`
	CookieSent    bool              `json:"cookie_sent"`
	PolicyVersion string            `json:"policy_version"`
	Categories    map[string]bool   `json:"categories"`
	ConsentMode   map[string]string `json:"consent_mode"`
	ReceiptID     string            `json:"receipt_id,omitempty"`
	At            *time.Time        `json:"at,omitempty"`
}

func (b *Banner) handleState(w http.ResponseWriter, r *http.Request) {
	l := lang.Choose(r.URL.Query().Get("lang"), "", r.Header.Get("Accept-Language"))
	d, c, ok, present := b.current(r, l)
	st := State{Decided: ok, CookieSent: present, PolicyVersion: b.cat.Version(), Categories: map[string]bool{}}
	if !ok {
		d, _ = consent.Decline(b.cat, consent.SurfaceWebBanner, l, b.d.Now())
		for i := range d.Choices {
			d.Choices[i].Granted = d.Choices[i].Required
		}
	} else {
		st.ReceiptID, st.At = c.ReceiptID, &c.At
	}
	for _, ch := range d.Choices {
		st.Categories[string(ch.Purpose)] = ch.Granted
	}
	st.ConsentMode = b.cat.ConsentModeSignals(d)
	b.allowCredentialed(w, r)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Add("Vary", "Cookie, Origin")
	json.NewEncoder(w).Encode(st)
}
