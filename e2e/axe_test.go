package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
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

// The gate and the settings pass axe-core with no serious or critical
// violation, in both languages, before and with the wasm, and fit a 360-px
// screen without scrolling sideways.
func TestAccessibility(t *testing.T) {
	axe := axeScript(t)
	srv := startServer(t)
	for _, m := range modes {
		for _, path := range []string{"/consent", "/settings/privacy"} {
			for _, l := range []string{"en", "zh-Hans"} {
				t.Run(m.name+path+"/"+l, func(t *testing.T) {
					ctx := hostTab(t, "android")
					do(t, ctx,
						chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
						chromedp.Navigate(srv.URL()+path+"?lang="+l+m.query),
						chromedp.WaitVisible(chromedp.CSS("main")),
					)
					if m.wasm && path != "/consent" { // the gate loads no wasm
						do(t, ctx, waitWasm())
					}
					eval[bool](t, ctx, axe+";true")
					res, err := chromedp.Run(ctx, chromedp.Evaluate[axeResult](axeSerious, chromedp.EvalAwaitPromise))
					require.NoError(t, err)
					require.Greater(t, res.Passes, 10, "axe ran its rules")
					assert.Empty(t, res.Violations)
					assert.LessOrEqual(t, eval[int](t, ctx, `document.documentElement.scrollWidth`), 360, "no sideways scrolling at 360 px")
				})
			}
		}
	}
}
