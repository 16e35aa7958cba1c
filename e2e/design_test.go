package e2e

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shotsDir, when set, receives every design screenshot (surface × language ×
// width × scheme), for looking at them; -screenshots writes a few to the
// gallery.
var shotsDir = flag.String("design-shots", "", "write every design screenshot to this directory")

// designSurface is one page of the design system's surfaces (issue 9),
// other than the gate and the settings.
type designSurface struct {
	name  string
	path  string // with "{lang}" for the language
	ready string // a JavaScript condition true once the page is drawn
	wasm  bool   // the page starts the wasm; measured once it has
	admin bool   // needs a signed-in console operator
	// customise opens the banner's second layer (a frame) on the demo.
	customise bool
}

func designSurfaces() []designSurface {
	return []designSurface{
		{name: "privacy", path: "/privacy?lang={lang}", ready: `!!document.querySelector(".kc-doc")` + readerReady},
		{name: "privacy-bilingual", path: "/privacy?lang={lang}&view=bilingual", ready: `!!document.querySelector(".kc-bi")` + readerReady},
		{name: "collected", path: "/privacy/collected?lang={lang}", ready: `!!document.querySelector(".kc-card")` + readerReady},
		{name: "shared", path: "/privacy/shared?lang={lang}", ready: `!!document.querySelector(".kc-card")` + readerReady},
		{name: "permission", path: "/permission?p=s2-3-perms-1&lang={lang}", ready: `!!document.getElementById("kc-permission-continue")`},
		{name: "permission-refused", path: "/permission?p=s2-3-perms-17&lang={lang}", ready: `!!document.getElementById("kc-permission-settings")`},
		{name: "admin-login", path: "/admin/login?lang={lang}", ready: `!!document.getElementById("kc-name")`},
		{name: "admin", path: "/admin/insights?lang={lang}", ready: `!!document.getElementById("chart-purposes-title")`, admin: true},
		{name: "banner", path: "/demo?lang={lang}", ready: bannerShown},
		{name: "banner-layer2", path: "/demo?lang={lang}", ready: bannerShown, customise: true},
		{name: "banner-fallback", path: "/banner?lang={lang}", ready: `!!document.getElementById("kc-accept")`},
		{name: "banner-fallback-layer2", path: "/banner?lang={lang}&layer=2", ready: `!!document.getElementById("kc-save")`},
	}
}

// readerReady is true once reader.js has taken the policy or a list.
const readerReady = ` && document.documentElement.dataset.reader === "ready"`

// frameDocJS is the banner frame's document (same origin in the tests).
const frameDocJS = `document.querySelector("iframe[data-kc-banner]").contentDocument`

// openSurface opens a surface in a fresh tab at the given size and colour
// scheme, and waits until it is drawn, and with wasm until the wasm (where
// the page has it) has taken over.
func openSurface(t *testing.T, site *consoleSite, s designSurface, lang string, width, height int64, scheme string, wasm bool) context.Context {
	t.Helper()
	ctx := adminTab(t)
	var opts []chromedp.EmulateViewportOption
	if width <= 600 {
		opts = append(opts, chromedp.EmulateMobile)
	}
	do(t, ctx, chromedp.EmulateViewport(width, height, opts...),
		call(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}))
	if s.admin {
		signIn(t, ctx, site, lang, officer, adminPassword)
	}
	do(t, ctx, chromedp.Navigate(site.srv.URL()+strings.ReplaceAll(s.path, "{lang}", lang)))
	waitFor(t, ctx, s.ready)
	if s.wasm && wasm {
		do(t, ctx, waitWasm())
		waitFor(t, ctx, s.ready)
	}
	if s.customise {
		do(t, ctx, chromedp.Evaluate[chromedp.Void](bannerRoot+`.getElementById("kc-customise").click()`))
		waitFor(t, ctx, `!!document.querySelector("iframe[data-kc-banner]") && !!`+frameDocJS+` && !!`+frameDocJS+`.getElementById("kc-save")`)
		// The frame has its size once the banner told the page its height.
		waitFor(t, ctx, `document.querySelector("iframe[data-kc-banner]").getBoundingClientRect().height > 224`)
	}
	// Web fonts are local (fonts-noto-cjk); wait until text is laid out.
	waitFor(t, ctx, `document.fonts.status === "loaded"`)
	return ctx
}

// The banner's second layer, opened from the first on a 360×740 phone:
// the frame leaves most of the page in view, its buttons show without
// scrolling inside it, in the first layer's order, one size and colour.
func TestDesignBannerSecondLayer(t *testing.T) {
	site := startConsole(t)
	for _, l := range []string{"zh-Hans", "en"} {
		t.Run(l, func(t *testing.T) {
			first := openSurface(t, site, designSurface{path: "/demo?lang={lang}", ready: bannerShown}, l, 360, 740, "light", false)
			firstOrder := eval[[]string](t, first, `[...`+bannerRoot+`.querySelectorAll("button")].map(b => b.id)`)
			ctx := openSurface(t, site, designSurface{path: "/demo?lang={lang}", ready: bannerShown, customise: true}, l, 360, 740, "light", false)
			frameH := eval[float64](t, ctx, `document.querySelector("iframe[data-kc-banner]").getBoundingClientRect().height`)
			assert.LessOrEqual(t, frameH, 0.8*740, "the second layer leaves a fifth of the screen to the page")
			type box struct {
				ID                string
				Top, Bottom, W, H float64
				Background, Color string
			}
			buttons := eval[[]box](t, ctx, `[...`+frameDocJS+`.querySelectorAll("button")].map(b => { const r = b.getBoundingClientRect(), s = getComputedStyle(b);
				return {ID: b.id, Top: r.top, Bottom: r.bottom, W: Math.round(r.width), H: Math.round(r.height), Background: s.backgroundColor, Color: s.color}; })`)
			require.Len(t, buttons, 3)
			inner := eval[float64](t, ctx, frameDocJS+`.defaultView.innerHeight`)
			for _, b := range buttons {
				assert.GreaterOrEqual(t, b.Top, 0.0, b.ID)
				assert.LessOrEqual(t, b.Bottom, inner, "%s shows without scrolling inside the frame", b.ID)
				assert.Equal(t, []any{buttons[0].W, buttons[0].H, buttons[0].Background, buttons[0].Color}, []any{b.W, b.H, b.Background, b.Color}, "equal weight")
			}
			assert.Equal(t, []string{firstOrder[0], firstOrder[1], "kc-save"}, []string{buttons[0].ID, buttons[1].ID, buttons[2].ID},
				"the second layer keeps the first's order, Save where Customise was")
			assert.Equal(t, []string{"kc-accept", "kc-reject", "kc-customise"}, firstOrder)
		})
	}
}

// TestDesignScreenshots photographs every surface in both languages, at
// 360×740 and 1280×800, light and dark: into -design-shots (all of them)
// and, with -screenshots, a few to the gallery (writeShot).
func TestDesignScreenshots(t *testing.T) {
	if *shotsDir == "" && !*screenshots {
		t.Skip("run with -design-shots DIR or -screenshots")
	}
	keep := map[string]bool{
		"privacy-zh-light-360.png": true, "privacy-en-dark-1280.png": true,
		"collected-zh-light-360.png": true, "permission-zh-dark-360.png": true,
		"banner-en-light-360.png": true, "banner-layer2-zh-light-360.png": true,
		"admin-zh-dark-1280.png": true,
	}
	site := startConsole(t)
	for _, s := range designSurfaces() {
		for _, l := range []string{"zh-Hans", "en"} {
			for _, scheme := range []string{"light", "dark"} {
				for _, size := range [][2]int64{{360, 740}, {1280, 800}} {
					name := fmt.Sprintf("%s-%s-%s-%d.png", s.name, strings.TrimSuffix(l, "-Hans"), scheme, size[0])
					if *shotsDir == "" && !keep[name] {
						continue
					}
					t.Run(name, func(t *testing.T) {
						ctx := openSurface(t, site, s, l, size[0], size[1], scheme, s.wasm)
						png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
						require.NoError(t, err)
						if *shotsDir != "" {
							require.NoError(t, os.WriteFile(filepath.Join(*shotsDir, name), png, 0o644))
						}
						if *screenshots && keep[name] {
							writeShot(t, name, png)
						}
					})
				}
			}
		}
	}
}

// foreignTextJS lists text in the other language than the one it is
// marked with: Chinese characters whose nearest lang is not zh, or on a
// Chinese page an English phrase (three words or more) whose nearest lang
// is not en. Names and technical terms (SDK, IMEI, Bugly) and literals
// quoted as such (「kaiconn admin add」, a command) are left alone, as WCAG
// 3.1.2 allows.
const foreignTextJS = `(() => {
  const out = [];
  const han = /\p{Script=Han}+/u, phrase = /[A-Za-z][a-z]+(?: [A-Za-z]?[a-z]+){2,}/;
  const roots = [document.body];
  const host = document.querySelector("kaiconn-banner");
  if (host && host.shadowRoot) roots.push(host.shadowRoot);
  for (const root of roots) {
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest("script, style, pre")) continue;
      const marked = el.closest("[lang]");
      const lang = marked ? marked.lang : (root.host ? "" : document.documentElement.lang);
      const text = n.textContent;
      if (!lang.startsWith("zh") && han.test(text)) out.push(lang + ": " + text.trim().slice(0, 40));
      if (lang.startsWith("zh") && phrase.test(text.replace(/「[^」]*」/g, ""))) out.push(lang + ": " + text.trim().slice(0, 40));
    }
  }
  return out;
})()`

// Every fragment in the other language carries its lang (WCAG 3.1.2), on
// every surface, in both languages, as the server renders it.
func TestDesignLanguageOfParts(t *testing.T) {
	site := startConsole(t)
	for _, s := range designSurfaces() {
		if s.wasm {
			s.path += "&wasm=false"
		}
		for _, l := range []string{"zh-Hans", "en"} {
			t.Run(s.name+"/"+l, func(t *testing.T) {
				ctx := openSurface(t, site, s, l, 1280, 800, "light", false)
				assert.Empty(t, eval[[]string](t, ctx, foreignTextJS))
			})
		}
	}
}
