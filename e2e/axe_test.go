package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	axeOnce   sync.Once
	axeSource string
	axeErr    error
)

// axeScript returns axe-core from e2e/js, installing it with npm ci (the
// lockfile pins the version) when node_modules is missing.
func axeScript(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		dir, err := filepath.Abs("js")
		if err != nil {
			axeErr = err
			return
		}
		file := filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
		if _, err := os.Stat(file); err != nil {
			cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				axeErr = err
				t.Logf("npm ci: %s", out)
				return
			}
		}
		b, err := os.ReadFile(file)
		axeSource, axeErr = string(b), err
	})
	require.NoError(t, axeErr, "axe-core: run npm ci in e2e/js")
	return axeSource
}

// axeSerious runs axe-core on the page and returns its serious and
// critical violations, one line each.
const axeSerious = `axe.run(document).then(function (r) {
  return {
    passes: r.passes.length,
    violations: r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; })
      .map(function (v) { return v.impact + " " + v.id + ": " + v.nodes.map(function (n) { return n.target.join(" "); }).join(", "); })
  };
})`

type axeResult struct {
	Passes     int      `json:"passes"`
	Violations []string `json:"violations"`
}

// axeTags are the rules every page must pass: WCAG 2.0, 2.1 and 2.2, levels
// A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// axeViolations runs axe-core on the page, after any transition the new
// viewport or colour scheme started has ended (colours read mid-way would
// make the contrast rule flaky), and returns one entry per failing node.
// Open shadow roots (the banner embed.js draws on /demo) are checked with
// the page; frames are not (iframes: false): the banner's frame is
// /banner, which the matrix checks on its own.
const axeViolations = `(async function (tags) {
  await new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(r); }); });
  var moving = document.getAnimations().filter(function (a) { return a instanceof CSSTransition; });
  await Promise.race([Promise.all(moving.map(function (a) { return a.finished.catch(function () {}); })), new Promise(function (r) { setTimeout(r, 1000); })]);
  var r = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"], iframes: false });
  var out = [];
  r.violations.forEach(function (v) {
    v.nodes.forEach(function (n) {
      out.push({ rule: v.id, impact: v.impact || "", target: n.target.map(function (t) { return Array.isArray(t) ? t.join(" >>> ") : t; }).join(" "),
        summary: (n.failureSummary || "").replace(/\s+/g, " ").slice(0, 240) });
    });
  });
  return { passes: r.passes.length, violations: out };
})`

type axeFinding struct {
	Rule    string `json:"rule"`
	Impact  string `json:"impact"`
	Target  string `json:"target"`
	Summary string `json:"summary"`
}

type axeReport struct {
	Passes     int          `json:"passes"`
	Violations []axeFinding `json:"violations"`
}

// axeLayouts are the four ways every page is checked: phone and desktop,
// light and dark, in an order that changes one thing at a time.
var axeLayouts = []layout{{360, 740, false}, {360, 740, true}, {1280, 800, true}, {1280, 800, false}}

// Every page of the product, in every state of the matrix, in both
// languages, at 360 and 1280 px, light and dark, before and with the wasm
// where the page loads it, passes axe-core's WCAG 2.0–2.2 A and AA rules
// with no violation of any impact. On a 360-px touch layout, with the
// disclosures open, every target is at least 44×44 px (links in running
// text excepted, see undersizedTargets) and no page is wider than the
// screen. Each finding is printed with where it was found, so that it can
// be fixed. One walk makes both checks: the walk, not the checks, is what
// costs.
func TestAccessibilityMatrix(t *testing.T) {
	axe := axeScript(t)
	env := startMatrix(t)
	pool := newMatrixContexts(t, runtime.GOMAXPROCS(0))
	tags, err := json.Marshal(axeTags)
	require.NoError(t, err)
	for _, r := range matrixRuns() {
		t.Run(r.name(), func(t *testing.T) {
			t.Parallel()
			r.walk(t, env, pool, func(w *walker, v view) {
				if v.GalleryOnly {
					return
				}
				eval[bool](t, w.ctx, openDetails)
				if !eval[bool](t, w.ctx, `typeof axe === "object"`) {
					eval[bool](t, w.ctx, axe+";true")
				}
				for i, l := range axeLayouts {
					l.apply(t, w.ctx)
					if i == 0 {
						checkTargets(t, w, v, l)
					}
					res, err := chromedp.Run(w.ctx, chromedp.Evaluate[axeReport](axeViolations+`(`+string(tags)+`)`, chromedp.EvalAwaitPromise))
					require.NoError(t, err, "axe on %s", v.name())
					require.Greater(t, res.Passes, 10, "axe ran its rules on %s", v.name())
					for _, f := range res.Violations {
						t.Errorf("axe: %s %s lang=%s width=%d theme=%s wasm=%t: %s (%s) at %q: %s",
							v.name(), v.Path, w.lang, l.Width, l.theme(), v.Wasm, f.Rule, f.Impact, f.Target, f.Summary)
					}
				}
			})
		})
	}
}

// faultyPage has one fault of each kind the matrix's checks look for: grey
// text on grey, a button without a name, a small button, a link alone in
// a list item; and what they must let pass: a link in a sentence, a
// checkbox whose label is a finger's size, the off-page skip link.
const faultyPage = `<!doctype html><html lang="en"><head><title>Faults</title></head><body>
<a class="skip" href="#main" style="position:absolute;left:-999px">Skip</a>
<main id="main"><h1>Faults</h1>
<p id="grey" style="color:#777;background:#888">Grey on grey.</p>
<button id="nameless"></button>
<button id="small" style="width:30px;height:30px;padding:0">S</button>
<p>Read the <a href="#p" id="inline">policy</a> first.</p>
<ul><li><a href="#a" id="alone">Alone</a></li></ul>
<label style="display:block;min-height:48px"><input type="checkbox" id="big"> Big label</label>
</main></body></html>`

func openFaultyPage(t *testing.T) context.Context {
	t.Helper()
	ctx := newTab(t)
	do(t, ctx, chromedp.Navigate("data:text/html;charset=utf-8,"+url.PathEscape(faultyPage)), chromedp.WaitVisible(chromedp.ID("small")))
	layout{360, 740, false}.apply(t, ctx)
	return ctx
}

// The accessibility check can fail: on a page with known faults it
// reports each, with its rule and selector.
func TestAccessibilityCheckFinds(t *testing.T) {
	ctx := openFaultyPage(t)
	eval[bool](t, ctx, axeScript(t)+";true")
	tags, err := json.Marshal(axeTags)
	require.NoError(t, err)
	res, err := chromedp.Run(ctx, chromedp.Evaluate[axeReport](axeViolations+`(`+string(tags)+`)`, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	var found []string
	for _, f := range res.Violations {
		found = append(found, f.Rule+" "+f.Target)
	}
	assert.Contains(t, found, "color-contrast #grey")
	assert.Contains(t, found, "button-name #nameless")
}
