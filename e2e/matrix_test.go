package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/server"
)

// The surface matrix: every page of the product in every state worth
// checking, reached the way a person reaches it. The accessibility
// check (axe_test.go, with the target sizes of targets_test.go) and the
// screenshot gallery (screenshots_test.go) walk it, so that a page added
// here is checked and pictured at once.
//
// A journey is a sequence of views in one fresh browser context (its own
// cookie jar, so journeys can run side by side): the gate's first ask,
// then the decision, then the settings it leads to. At each view the
// walker calls the check, which may change the viewport and the colour
// scheme but must leave the page in its state.

// view is one page in one state.
type view struct {
	Surface string // gate, settings, policy, permission, banner, demo, console
	State   string // first-ask, done, ...
	Path    string // the page's path, for messages
	// Wide views are also pictured at 1280×800 (policy, console, demo).
	Wide bool
	// GalleryOnly views differ from the one before only by what
	// is open, which the checks open anyway.
	GalleryOnly bool
	// Scroll is what the gallery scrolls to (CSS); the top when empty.
	Scroll string
	// Wasm is whether this page is enhanced by the wasm in this run.
	Wasm bool
}

func (v view) name() string { return v.Surface + "/" + v.State }

// journey brings a fresh browser context through its views.
type journey struct {
	name string
	// wasm journeys have pages that may load the wasm: they run twice,
	// with ?wasm=false and with the wasm allowed (waiting until it has
	// taken over the pages that load it).
	wasm bool
	walk func(w *walker)
}

// matrixEnv is the running program: the policy in force on app, and the
// console's seeded site (with the later policy 2026-12 beside it) for the
// console and the re-ask.
type matrixEnv struct {
	app     *server.Server
	console *consoleSite
}

func startMatrix(t *testing.T) *matrixEnv {
	t.Helper()
	return &matrixEnv{app: startServer(t), console: startConsole(t)}
}

// walker runs one journey in one language, before or with the wasm.
type walker struct {
	t     *testing.T
	ctx   context.Context
	env   *matrixEnv
	lang  string
	wasm  bool
	check func(w *walker, v view)
}

// url is path on srv in the walker's language, without the wasm when the
// run says so.
func (w *walker) url(srv *server.Server, path string, query ...string) string {
	q := url.Values{"lang": {w.lang}}
	for i := 0; i+1 < len(query); i += 2 {
		q.Set(query[i], query[i+1])
	}
	if !w.wasm {
		q.Set("wasm", "false")
	}
	return srv.URL() + path + "?" + q.Encode()
}

// open navigates and waits until css is visible.
func (w *walker) open(target, css string) {
	w.t.Helper()
	do(w.t, w.ctx, chromedp.Navigate(target), chromedp.WaitVisible(chromedp.CSS(css)))
}

// at waits for the wasm where it runs, then hands the view to the check.
// Whether a page loads the wasm is the page's to say (boot.js): the run
// only allows it or not.
func (w *walker) at(v view) {
	w.t.Helper()
	v.Wasm = w.enhanced()
	w.check(w, v)
}

// enhanced waits until the wasm has taken over the page where the run
// allows it and the page loads it, and says whether it has.
func (w *walker) enhanced() bool {
	w.t.Helper()
	if !w.wasm || !eval[bool](w.t, w.ctx, `!!document.querySelector('script[src*="boot.js"]')`) {
		return false
	}
	do(w.t, w.ctx, waitWasm())
	return true
}

// click clicks css and waits until then is visible.
func (w *walker) click(css, then string) {
	w.t.Helper()
	do(w.t, w.ctx, chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible), chromedp.WaitVisible(chromedp.CSS(then)))
}

// recorded waits until the gate's script has posted the decision it
// queued (localStorage kc_gate_queue), so that the next page sees it.
func (w *walker) recorded() {
	w.t.Helper()
	waitFor(w.t, w.ctx, `localStorage.getItem("kc_gate_queue") === null`)
}

// reaskState is what a host app hands the gate after a full agreement to
// the base policy version a month ago: on the console's server, which has
// the fixture's later version (localestest.Later), the gate asks again, at
// once (only a refusal waits 48 hours).
func reaskState(t *testing.T) string {
	t.Helper()
	purposes := map[string]bool{}
	for _, p := range localestest.Catalogue(t, localestest.Base).Purposes(consent.SurfaceFirstLaunch) {
		purposes[string(p.ID)] = true
	}
	b, err := json.Marshal(map[string]any{"type": "consent", "decision": "agreed", "policyVersion": localestest.Base,
		"purposes": purposes, "receiptId": uuid.NewString(), "at": time.Now().Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339)})
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// journeys is the matrix. Waits name what each state shows.
var journeys = []journey{
	{name: "gate", wasm: true, walk: func(w *walker) {
		app := w.env.app
		w.open(w.url(app, "/consent"), "#kc-disagree")
		w.at(view{Surface: "gate", State: "first-ask", Path: "/consent"})
		// The checks may have opened it already: a click would close it.
		if !eval[bool](w.t, w.ctx, `document.getElementById("kc-gate-choices").open`) {
			w.click("#kc-gate-choices-summary", "#kc-p-push")
		}
		w.at(view{Surface: "gate", State: "choices-open", Path: "/consent", GalleryOnly: true, Scroll: "#kc-gate-choices"})
		do(w.t, w.ctx, chromedp.Click(chromedp.ID("kc-p-push"), chromedp.NodeVisible))
		do(w.t, w.ctx, chromedp.Click(chromedp.ID("kc-adult"), chromedp.NodeVisible))
		w.click("#kc-agree", `h1[data-decision="agreed"]`)
		w.recorded()
		// Without the wasm this is the plain form's answer, /consent/done.
		w.at(view{Surface: "gate", State: "done-agreed", Path: "/consent/done"})
		w.open(w.url(app, "/consent"), "#kc-change-link")
		w.at(view{Surface: "gate", State: "current", Path: "/consent"})
		w.open(w.url(app, "/settings/privacy"), "#kc-save")
		w.at(view{Surface: "settings", State: "agreed", Path: "/settings/privacy"})
		w.click("#kc-withdraw-all", `#kc-saved[data-kind="withdrawn"]`)
		w.at(view{Surface: "settings", State: "withdrawn-all", Path: "/settings/privacy"})
	}},
	{name: "declined", wasm: true, walk: func(w *walker) {
		app := w.env.app
		w.open(w.url(app, "/consent"), "#kc-disagree")
		w.enhanced()
		w.click("#kc-disagree", `h1[data-decision="declined"]`)
		w.recorded()
		w.at(view{Surface: "gate", State: "done-declined", Path: "/consent/done"})
		w.open(w.url(app, "/settings/privacy"), "#kc-save")
		w.at(view{Surface: "settings", State: "declined", Path: "/settings/privacy"})
	}},
	{name: "reask", wasm: true, walk: func(w *walker) {
		w.open(w.url(w.env.console.srv, "/consent", "state", reaskState(w.t)), "#kc-agree")
		w.at(view{Surface: "gate", State: "reask", Path: "/consent?state="})
	}},
	{name: "settings", wasm: true, walk: func(w *walker) {
		w.open(w.url(w.env.app, "/settings/privacy"), "#kc-no-decision")
		w.at(view{Surface: "settings", State: "fresh", Path: "/settings/privacy"})
	}},
	// The documents load no wasm (reader.js enhances them), so they are
	// walked once.
	{name: "documents", walk: func(w *walker) {
		app := w.env.app
		w.open(w.url(app, "/privacy"), "main")
		w.at(view{Surface: "policy", State: "policy", Path: "/privacy", Wide: true})
		w.open(w.url(app, "/privacy/collected"), "main")
		w.at(view{Surface: "policy", State: "collected", Path: "/privacy/collected", Wide: true})
		w.open(w.url(app, "/privacy/shared"), "main")
		w.at(view{Surface: "policy", State: "shared", Path: "/privacy/shared", Wide: true})
	}},
	{name: "permission", walk: func(w *walker) {
		app := w.env.app
		w.open(w.url(app, "/permission", "p", "s2-3-perms-17", "state", appState(w.t, optionalPurposes...)), "#kc-permission-later")
		w.at(view{Surface: "permission", State: "ask", Path: "/permission?p=s2-3-perms-17"})
		w.open(w.url(app, "/permission", "p", "s2-3-perms-17", "state", appState(w.t)), "#kc-permission-later")
		w.at(view{Surface: "permission", State: "refused", Path: "/permission?p=s2-3-perms-17"})
	}},
	{name: "banner", walk: func(w *walker) {
		app := w.env.app
		w.open(w.url(app, "/banner"), "#kc-accept")
		w.at(view{Surface: "banner", State: "first-layer", Path: "/banner"})
		w.open(w.url(app, "/banner", "layer", "2"), "#kc-save")
		w.at(view{Surface: "banner", State: "second-layer", Path: "/banner?layer=2"})
		// The first layer embed.js draws on a site, in a shadow root.
		do(w.t, w.ctx, chromedp.Navigate(w.url(app, "/demo")))
		waitFor(w.t, w.ctx, bannerShown)
		w.at(view{Surface: "demo", State: "banner", Path: "/demo", Wide: true})
	}},
	{name: "console", walk: func(w *walker) {
		site := w.env.console
		w.open(w.url(site.srv, "/admin/login"), "#kc-password")
		w.at(view{Surface: "console", State: "sign-in", Path: "/admin/login", Wide: true})
		signIn(w.t, w.ctx, site, w.lang, officer, adminPassword)
		for _, p := range []struct{ state, path, wait string }{
			{"insights", "/admin/insights", "#chart-decisions-title"},
			{"lookup", "/admin/lookup", "#kc-q"},
			{"subject", "/admin/subjects/" + site.seeded.Subjects["app-zh"], "#kc-subject-title"},
			{"operations", "/admin/operations", "main"},
			{"audit", "/admin/audit", "main"},
		} {
			w.open(w.url(site.srv, p.path), p.wait)
			w.at(view{Surface: "console", State: p.state, Path: p.path, Wide: true})
		}
	}},
}

// matrixRun is one journey in one language, before or with the wasm:
// no-wasm runs pass ?wasm=false and block the gate's script, so they walk
// the pages as a browser without script would; wasm runs let every page
// load what it loads and wait until the wasm has taken over where it does.
type matrixRun struct {
	journey journey
	lang    string
	wasm    bool
}

func (r matrixRun) name() string {
	s := r.journey.name + "/" + r.lang
	if r.journey.wasm {
		s += map[bool]string{true: "/wasm", false: "/no-wasm"}[r.wasm]
	}
	return s
}

// matrixRuns lists every journey in both languages, and before and with
// the wasm where its pages load it.
func matrixRuns(wasmModes ...bool) []matrixRun {
	if len(wasmModes) == 0 {
		wasmModes = []bool{false, true}
	}
	var runs []matrixRun
	for _, j := range journeys {
		for _, l := range []string{"en", "zh-Hans"} {
			if !j.wasm {
				runs = append(runs, matrixRun{j, l, false})
				continue
			}
			for _, m := range wasmModes {
				runs = append(runs, matrixRun{j, l, m})
			}
		}
	}
	return runs
}

// matrixContexts are the browser contexts the runs share, one per run at
// a time (go test runs GOMAXPROCS subtests at once): each has its own
// cookie jar, and keeps its HTTP and code caches from run to run, so that
// the wasm is compiled once per context instead of once per page.
type matrixContexts chan context.Context

func newMatrixContexts(t *testing.T, n int) matrixContexts {
	t.Helper()
	pool := make(matrixContexts, n)
	for range n {
		ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel)
		do(t, ctx)
		pool <- ctx
	}
	return pool
}

// walk runs r in a tab of a context of the pool, cookies cleared, with the
// Android host installed, calling check at each view.
func (r matrixRun) walk(t *testing.T, env *matrixEnv, pool matrixContexts, check func(w *walker, v view)) {
	t.Helper()
	parent := <-pool
	defer func() { pool <- parent }()
	ctx, cancel := chromedp.NewContext(parent)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 5*time.Minute)
	defer cancelT()
	do(t, ctx)
	_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
	require.NoError(t, err)
	layout{360, 740, false}.apply(t, ctx)
	// Without the wasm, without any script of the gate's either: the
	// no-wasm run walks the plain forms (/consent posts, /consent/done
	// answers).
	if !r.wasm {
		_, err = chromedp.Call(ctx, network.Enable, network.EnableParams{})
		require.NoError(t, err)
		_, err = chromedp.Call(ctx, network.SetBlockedURLs, network.SetBlockedURLsParams{
			URLPatterns: []*network.BlockPattern{{URLPattern: "*://*:*/static/gate.*js", Block: true}}})
		require.NoError(t, err)
	}
	_, err = chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hosts["android"]})
	require.NoError(t, err)
	w := &walker{t: t, ctx: ctx, env: env, lang: r.lang, wasm: r.wasm, check: check}
	r.journey.walk(w)
}

// A layout is a viewport and a colour scheme.
type layout struct {
	Width, Height int64
	Dark          bool
}

func (l layout) theme() string { return map[bool]string{true: "dark", false: "light"}[l.Dark] }

func (l layout) String() string { return fmt.Sprintf("%dx%d/%s", l.Width, l.Height, l.theme()) }

// apply sets the viewport (a phone below 600 px: mobile and touch) and
// the colour scheme without reloading the page.
func (l layout) apply(t *testing.T, ctx context.Context) {
	t.Helper()
	var opts []chromedp.EmulateViewportOption
	if l.Width < 600 {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	do(t, ctx, chromedp.EmulateViewport(l.Width, l.Height, opts...))
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: l.theme()}}})
	require.NoError(t, err)
}

// openDetails opens every disclosure, so that what is inside is checked
// too.
const openDetails = `document.querySelectorAll('details').forEach(function (d) { d.open = true; }); true`
