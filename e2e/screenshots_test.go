package e2e

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// The gallery: every view of the matrix (matrix_test.go) with the wasm, in
// both languages and both colour schemes, at 360×740 and, for the policy,
// the console and the demo, at 1280×800 too; written to the gallery,
// tmp/screenshots, outside git, with a generated README.md of thumbnails
// (make screenshots), and those the docs show to docs/screenshots too
// (writeShot). Each
// picture is the first screen a person sees, not the whole page: what is
// above the fold is the point of most of them. A view that names a Scroll
// target is pictured scrolled to it.

// galleryLink finds the pictures an index links.
var galleryLink = regexp.MustCompile(`<a href="([^"/]+\.png)"[^>]*>`)

// galleryShot is one picture of the gallery.
type galleryShot struct {
	file              string
	surface, state    string
	lang, theme       string
	width             int64
	journey, position int // order of the gallery: the matrix's
}

// settle waits until the fonts have loaded, two frames have been drawn
// and any transition the new layout started has ended.
const settle = `(async function () {
  await document.fonts.ready;
  await new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(r); }); });
  var moving = document.getAnimations().filter(function (a) { return a instanceof CSSTransition; });
  await Promise.race([Promise.all(moving.map(function (a) { return a.finished.catch(function () {}); })), new Promise(function (r) { setTimeout(r, 1000); })]);
  return true;
})()`

// TestScreenshots writes the gallery (go test ./e2e -run Screenshots
// -screenshots, or make screenshots).
func TestScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("run with -screenshots to write the gallery to tmp/screenshots")
	}
	dir := galleryDir(t)
	env := startMatrix(t)
	pool := newMatrixContexts(t, runtime.GOMAXPROCS(0))
	var (
		mu    sync.Mutex
		shots []galleryShot
	)
	t.Run("views", func(t *testing.T) {
		for ji, j := range journeys {
			for _, r := range matrixRuns(true) {
				if r.journey.name != j.name {
					continue
				}
				t.Run(r.name(), func(t *testing.T) {
					t.Parallel()
					position := 0
					r.walk(t, env, pool, func(w *walker, v view) {
						position++
						sizes := []layout{{360, 740, false}}
						if v.Wide {
							sizes = append(sizes, layout{1280, 800, false})
						}
						for _, dark := range []bool{false, true} {
							for _, l := range sizes {
								l.Dark = dark
								l.apply(t, w.ctx)
								scroll := `scrollTo(0, 0)`
								if v.Scroll != "" {
									scroll = `document.querySelector(` + jsString(v.Scroll) + `).scrollIntoView({block: "start"})`
								}
								eval[bool](t, w.ctx, scroll+`; true`)
								_, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](settle, chromedp.EvalAwaitPromise))
								require.NoError(t, err)
								shot := galleryShot{surface: v.Surface, state: v.State, lang: w.lang, theme: l.theme(), width: l.Width, journey: ji, position: position}
								shot.file = fmt.Sprintf("%s-%s-%s-%s-%d.png", shot.surface, shot.state, shot.lang, shot.theme, shot.width)
								img, err := chromedp.Run(w.ctx, chromedp.CaptureScreenshot())
								require.NoError(t, err)
								writeShot(t, shot.file, smallerPNG(t, img))
								mu.Lock()
								shots = append(shots, shot)
								mu.Unlock()
							}
						}
					})
				})
			}
		}
	})
	if t.Failed() {
		return
	}
	// Pictures of views no longer in the matrix go: those the last
	// index linked and this run did not write. Other tests' pictures
	// stay, listed at the end of the index.
	written := map[string]bool{}
	for _, s := range shots {
		written[s.file] = true
	}
	if prev, err := os.ReadFile(filepath.Join(dir, "README.md")); err == nil {
		for _, m := range galleryLink.FindAllStringSubmatch(string(prev), -1) {
			if !written[m[1]] && !strings.Contains(m[0], "data-other") {
				require.NoError(t, os.Remove(filepath.Join(dir, m[1])))
			}
		}
	}
	var others []string
	all, err := filepath.Glob(filepath.Join(dir, "*.png"))
	require.NoError(t, err)
	for _, f := range all {
		if !written[filepath.Base(f)] {
			others = append(others, filepath.Base(f))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), galleryIndex(shots, others), 0o644))
}

// smallerPNG recompresses chromium's PNG at the best compression, which
// makes the gallery about a fifth smaller at no loss.
func smallerPNG(t *testing.T, b []byte) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img))
	if out.Len() >= len(b) {
		return b
	}
	return out.Bytes()
}

// galleryIndex is the gallery's README.md: per surface, one row per
// state and language, a thumbnail per scheme and width, each linking to
// its picture.
func galleryIndex(shots []galleryShot, others []string) []byte {
	slices.SortFunc(shots, func(a, b galleryShot) int {
		for _, c := range []int{a.journey - b.journey, a.position - b.position, strings.Compare(a.lang, b.lang),
			strings.Compare(b.theme, a.theme), int(a.width - b.width)} {
			if c != 0 {
				return c
			}
		}
		return 0
	})
	type row struct{ surface, state, lang string }
	var rows []row
	cells := map[row]map[string]galleryShot{}
	for _, s := range shots {
		r := row{s.surface, s.state, s.lang}
		if cells[r] == nil {
			rows = append(rows, r)
			cells[r] = map[string]galleryShot{}
		}
		cells[r][fmt.Sprintf("%s-%d", s.theme, s.width)] = s
	}
	var b strings.Builder
	b.WriteString("<!-- Written by make screenshots (e2e/screenshots_test.go) outside git; docs/screenshots keeps the pictures the docs show. -->\n")
	b.WriteString("# Screenshots\n\n")
	b.WriteString("Every surface of Kaiconn Consent in every state the browser tests walk (`e2e/matrix_test.go`), " +
		"with the wasm, in English and Simplified Chinese, light and dark: the first screen at 360×740 " +
		"and, for the policy, the console and the demo, at 1280×800. Select a thumbnail for the full picture. " +
		"Regenerate with `make screenshots`.\n")
	columns := []string{"light-360", "dark-360", "light-1280", "dark-1280"}
	surface := ""
	for _, r := range rows {
		if r.surface != surface {
			surface = r.surface
			fmt.Fprintf(&b, "\n## %s\n\n| State | Language | Light 360 | Dark 360 | Light 1280 | Dark 1280 |\n|---|---|---|---|---|---|\n", surface)
		}
		fmt.Fprintf(&b, "| %s | %s |", r.state, r.lang)
		for _, c := range columns {
			s, ok := cells[r][c]
			if !ok {
				b.WriteString(" |")
				continue
			}
			width := 90
			if s.width > 600 {
				width = 160
			}
			fmt.Fprintf(&b, ` <a href="%s"><img src="%s" width="%d" alt="%s, %s, %s, %s, %d px"></a> |`, s.file, s.file, width, s.surface, s.state, s.lang, s.theme, s.width)
		}
		b.WriteString("\n")
	}
	if len(others) > 0 {
		b.WriteString("\n## Other pictures\n\nWritten by the surfaces' own tests (`make screenshots` runs them too).\n\n")
		for _, f := range others {
			fmt.Fprintf(&b, `<a href="%s" data-other><img src="%s" width="90" alt="%s"></a>`+"\n", f, f, strings.TrimSuffix(f, ".png"))
		}
	}
	return []byte(b.String())
}
