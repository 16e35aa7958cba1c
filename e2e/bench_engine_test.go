package e2e

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/kaiconn/consent/bundle"
	"github.com/kaiconn/consent/server"
)

// engineProbe runs in a page before any of its scripts. It plays an
// Android host that notes when the first bridge message arrives; notes
// every main-thread task over 50 ms (longtask entries: start, duration);
// notes when the handlers of every click on a settings switch ran (Unix
// ms, to be held against when the tap was sent); and notes the first frame where the
// decision buttons (the gate's Disagree, the settings' Save) are visible
// and the first where the wasm has finished with the page. Times are
// milliseconds from the start of navigation.
const engineProbe = `(() => {
  const kc = window.__kc = { tasks: [], clicks: [] };
  window.KaiconnConsentBridge = { postMessage: function (s) { if (!kc.bridge) kc.bridge = performance.now(); } };
  try {
    new PerformanceObserver(l => { for (const e of l.getEntries()) kc.tasks.push([e.startTime, e.duration]); })
      .observe({ type: "longtask", buffered: true });
  } catch (e) {}
  document.addEventListener("pointerup", e => { if (!kc.tap) kc.tap = e.timeStamp; }, true);
  const wis = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = function (r, i) {
    kc.instStart = performance.now();
    return wis.call(this, r, i).then(x => { kc.instEnd = performance.now(); return x; });
  };
  document.addEventListener("click", e => {
    if (e.target && e.target.name === "purpose") kc.clicks.push(performance.timeOrigin + performance.now());
  }, true);
  (function tick() {
    const b = document.getElementById("kc-disagree") || document.getElementById("kc-save");
    if (b && !kc.visible) {
      const r = b.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight &&
          document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === b) kc.visible = performance.now();
    }
    if (!kc.wasm && document.documentElement && document.documentElement.dataset.wasm === "ready") kc.wasm = performance.now();
    requestAnimationFrame(tick);
  })();
})();`

// engineRun is what one load of a page rendered without state measured.
type engineRun struct {
	Visible     float64 // the decision buttons visible
	Shown       float64 // the wasm has put the host's state in the page (0: no wasm)
	TapToBridge float64 // gate: tap → bridge message
	LongestTask float64 // the longest main-thread task before the tap (gate) or until the wasm is done (settings)
	SwitchDelay float64 // settings: the longest input delay of a switch tapped while the wasm starts
	Taps        int     // settings: how many taps that was
}

type engineProbeState struct {
	Visible float64     `json:"visible"`
	Wasm    float64     `json:"wasm"`
	Tap     float64     `json:"tap"`
	Bridge  float64     `json:"bridge"`
	Tasks   [][]float64 `json:"tasks"`
	Clicks  []float64   `json:"clicks"`
}

// engineScenarios are the loads measured: the first launch (no state, no
// wasm), the re-ask a host's state under an older policy calls for, and
// the settings of a host's state, each a page of the bundle; and, for
// reference, the floor of this browser and machine: an empty page whose
// one button is visible as soon as the browser has a document to paint.
var engineScenarios = []struct{ name, title string }{
	{"floor", "reference: an empty page with one button"},
	{"first", "gate, first launch (no state)"},
	{"reask", "gate, host's state under the older policy → re-ask"},
	{"settings", "settings, host's state"},
}

// BenchmarkStatelessPages measures the pages of the app's bundle (issue
// 20, item 6), served from a second origin, on a phone (360×740) with the CPU throttled 4×, in a fresh
// browser profile, no network throttling (the bundle is the app's own
// files). It writes docs/measurements.md (between <!-- bench:engine:begin
// --> and <!-- bench:engine:end -->) and never fails on a number:
//
//	go test ./e2e -run '^$' -bench BenchmarkStatelessPages -benchtime 1x
//
// KAICONN_BENCH_RUNS sets the runs per scenario (default 5, at least 3).
func BenchmarkStatelessPages(b *testing.B) {
	runs := 5
	if n, err := strconv.Atoi(os.Getenv("KAICONN_BENCH_RUNS")); err == nil {
		runs = max(n, 3)
	}
	cat, pol := laterPolicy(b)
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: b.TempDir(), WebDir: webDir, CatalogueFS: cat, PolicyFS: pol}
	srv, closeAll, err := openServer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { closeAll() })
	assets, m := benchBundle(b, srv.URL(), cat, pol)
	st := hostState(b, "agreed", "2022-10", time.Now().Add(-72*time.Hour), "location", "push")
	urls := map[string]string{
		"floor":    assets + floorPath,
		"first":    assets + "/" + m.Pages["gate"]["zh-Hans"],
		"reask":    assets + "/" + m.Pages["gate"]["zh-Hans"] + "?state=" + st,
		"settings": assets + "/" + m.Pages["settings"]["zh-Hans"] + "?state=" + st,
	}
	var results map[string][]engineRun
	for i := 0; i < b.N; i++ {
		results = map[string][]engineRun{}
		for r := 0; r < runs; r++ {
			for _, sc := range engineScenarios {
				results[sc.name] = append(results[sc.name], measureEngine(b, sc.name, urls[sc.name]))
			}
		}
	}
	for _, sc := range engineScenarios {
		m := engineMedians(results[sc.name])
		b.ReportMetric(m.Visible, sc.name+"-visible-ms")
		b.ReportMetric(m.LongestTask, sc.name+"-longest-task-ms")
	}
	table := engineTable(b, results, runs)
	fmt.Println(table)
	if err := writeMeasurements("engine", table); err != nil {
		b.Errorf("docs/measurements.md: %v", err)
	}
}

// floorPath is the reference page benchBundle serves beside the bundle.
const floorPath = "/floor.html"

// benchBundle builds the app bundle of the later policy version for the
// consent server at origin, through the Go API as make bundle does, and
// serves it from a second origin, as the app's assets serve it; beside it,
// at floorPath, an empty page with one button (the probe's Disagree).
func benchBundle(b *testing.B, origin string, cat, pol fs.FS) (string, *bundle.Manifest) {
	out := filepath.Join(b.TempDir(), "app-bundle")
	m, err := bundle.Build(b.Context(), bundle.Options{Origin: origin, Out: out, WebDir: webDir, CatalogueFS: cat, PolicyFS: pol})
	if err != nil {
		b.Fatal(err)
	}
	files := http.FileServer(http.Dir(out))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == floorPath {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><html lang="zh-Hans"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>·</title><button id="kc-disagree" type="button">不同意</button></html>`)
			return
		}
		files.ServeHTTP(w, r)
	}))
	b.Cleanup(ts.Close)
	return ts.URL, m
}

// measureEngine loads url once in a fresh profile at 4× CPU throttling.
// On the gate it taps Disagree at the first frame it is visible and
// gate.js has taken the form, and, where a state is handed over, the wasm
// has shown its view (the person reads the re-ask first). On the settings
// it taps a switch every 100 ms from the start until the wasm has shown
// the host's state.
func measureEngine(b *testing.B, scenario, url string) engineRun {
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	defer cancelT()
	height := int64(740)
	if scenario == "settings" {
		height = 2400 // the switches on screen without scrolling, so a tap lands on one from the start
	}
	err := chromedp.Do(ctx,
		call(network.Enable, network.EnableParams{}),
		call(network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}),
		call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: engineProbe}),
		chromedp.EmulateViewport(360, height, chromedp.EmulateMobile),
		call(emulation.SetCPUThrottlingRate, emulation.SetCPUThrottlingRateParams{Rate: 4}),
	)
	if err != nil {
		b.Fatal(err)
	}
	probe := func() engineProbeState {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[engineProbeState](`window.__kc || {}`))
		if err != nil {
			b.Fatalf("%s: %v", url, err)
		}
		return s
	}
	var run engineRun
	switch scenario {
	case "floor":
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			b.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!(window.__kc && __kc.visible)", chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))); err != nil {
			b.Fatalf("%s: %v", url, err)
		}
		s := probe()
		run = engineRun{Visible: s.Visible, LongestTask: longest(s.Tasks, s.Visible)}
	case "settings":
		x, y := switchPoint(b, url)
		if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, page.Navigate, page.NavigateParams{URL: url})
			return err
		})); err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(60 * time.Second)
		var s engineProbeState
		var done time.Time
		var delays []float64
		for ; time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			// A tap counts once the page has shown its switches: one sent
			// before waits for the document to exist at all, which is the
			// page's load (visible), not the wasm's start.
			shown := s.Visible > 0
			sent := float64(time.Now().UnixNano()) / 1e6
			_ = chromedp.Do(ctx, chromedp.MouseClickXY(x, y))
			n := len(s.Clicks)
			s = probe()
			if len(s.Clicks) > n && shown {
				delays = append(delays, s.Clicks[len(s.Clicks)-1]-sent)
			}
			if s.Wasm > 0 && done.IsZero() {
				done = time.Now()
			}
			if !done.IsZero() && time.Since(done) > 300*time.Millisecond {
				break
			}
		}
		if s.Wasm == 0 {
			b.Fatalf("%s: the wasm never finished", url)
		}
		run = engineRun{Visible: s.Visible, Shown: s.Wasm, LongestTask: longest(s.Tasks, s.Wasm), Taps: len(delays)}
		if len(delays) > 0 {
			run.SwitchDelay = slices.Max(delays)
		}
	default:
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			b.Fatal(err)
		}
		ready := `window.__kc && __kc.visible && document.documentElement.dataset.gate === "ready"`
		if scenario == "reask" {
			ready += ` && __kc.wasm && document.getElementById("main").dataset.mode === "reask"`
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("!!("+ready+")", chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))); err != nil {
			s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const b = document.getElementById("kc-disagree"), r = b.getBoundingClientRect(), h = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2); return JSON.stringify([r, innerHeight, h && h.outerHTML.slice(0, 80), window.__kc.visible]); })()`))
			b.Fatalf("%s: the gate never got ready: %v (%s)", url, err, s)
		}
		pt, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById("kc-disagree").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`))
		if err != nil {
			b.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(pt[0], pt[1])); err != nil {
			b.Fatal(err)
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!(window.__kc && __kc.bridge)`, chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
			b.Fatalf("%s: no bridge message: %v", url, err)
		}
		s := probe()
		run = engineRun{Visible: s.Visible, Shown: s.Wasm, TapToBridge: s.Bridge - s.Tap, LongestTask: longest(s.Tasks, s.Tap)}
	}
	return run
}

// switchPoint is where the first settings switch is on a page as the
// server rendered it (the layout the wasm keeps), found once without the
// wasm.
func switchPoint(b *testing.B, url string) (x, y float64) {
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 30*time.Second)
	defer cancelT()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 2400, chromedp.EmulateMobile),
		chromedp.Navigate(url+"&wasm=false"), chromedp.WaitVisible(chromedp.ID("kc-p-push"))); err != nil {
		b.Fatal(err)
	}
	pt, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.getElementById("kc-p-push").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2, innerHeight]; })()`))
	if err != nil {
		b.Fatal(err)
	}
	if pt[1] >= pt[2] {
		b.Fatalf("the first switch is below the fold (%v)", pt)
	}
	return pt[0], pt[1]
}

// longest is the longest task that started before t (ms from navigation).
func longest(tasks [][]float64, t float64) float64 {
	var m float64
	for _, task := range tasks {
		if len(task) == 2 && task[0] < t {
			m = max(m, task[1])
		}
	}
	return m
}

func engineMedians(runs []engineRun) engineRun {
	col := func(f func(engineRun) float64) float64 {
		var xs []float64
		for _, r := range runs {
			xs = append(xs, f(r))
		}
		return median(xs)
	}
	return engineRun{
		Visible:     col(func(r engineRun) float64 { return r.Visible }),
		Shown:       col(func(r engineRun) float64 { return r.Shown }),
		TapToBridge: col(func(r engineRun) float64 { return r.TapToBridge }),
		LongestTask: col(func(r engineRun) float64 { return r.LongestTask }),
		SwitchDelay: col(func(r engineRun) float64 { return r.SwitchDelay }),
		Taps:        int(col(func(r engineRun) float64 { return float64(r.Taps) })),
	}
}

// engineTable renders the bundle pages' section of docs/measurements.md.
func engineTable(b *testing.B, results map[string][]engineRun, runs int) string {
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	cell := func(name string, f func(engineRun) float64) string {
		var xs []float64
		for _, r := range results[name] {
			xs = append(xs, f(r))
		}
		if slices.Max(xs) == 0 {
			return "—"
		}
		return ms(median(xs)) + " (" + ms(slices.Min(xs)) + "–" + ms(slices.Max(xs)) + ")"
	}
	var t strings.Builder
	fmt.Fprintf(&t, "### The app's bundle: the gate and the settings, and the wasm that renders the host's state\n\n")
	fmt.Fprintf(&t, "`make bench` (`BenchmarkStatelessPages`, package `e2e`), %s, on %s.\n", time.Now().Format("2006-01-02"), machine(b))
	fmt.Fprintf(&t, "The app bundle (`bundle.Build`, as `make bundle` writes it) of the later of two policy versions, served from a second origin as the\n")
	fmt.Fprintf(&t, "app's assets serve it; each page opened directly (manifest `pages`, `zh-Hans`; an entry's `index.html` adds one navigation).\n")
	fmt.Fprintf(&t, "360×740 (settings 360×2400, so that a switch is on screen from the start), mobile emulation, CPU throttled 4×, no network\n")
	fmt.Fprintf(&t, "throttling, a fresh browser profile per run, cache off, N = %d each, medians (min–max). The host's state is a decision under the\n", runs)
	fmt.Fprintf(&t, "older version. *Visible* is from the start of navigation to the first frame where the decision button (the gate's Disagree, the\n")
	fmt.Fprintf(&t, "settings' Save) is on screen and on top; the first row is the floor of this browser and machine, an empty page with one button.\n")
	fmt.Fprintf(&t, "On the gate a probe taps *Disagree* at the first frame it is visible and gate.js has taken the form (and, with a state, the wasm\n")
	fmt.Fprintf(&t, "has shown the re-ask); *tap → bridge message* is from the tap's release (pointerup: a tap decides when the finger lifts, and the\n")
	fmt.Fprintf(&t, "harness sends press and release as two DevTools commands) to the host's postMessage. On the settings the probe taps a switch\n")
	fmt.Fprintf(&t, "every 100 ms from the start until the wasm has shown the host's state. *Longest task* is the longest main-thread task (longtask\n")
	fmt.Fprintf(&t, "entries, over 50 ms) before the tap, on the settings until the wasm is done, on the empty page until it is visible (the\n")
	fmt.Fprintf(&t, "browser's own start of a document, which every page pays); *switch delay* the longest time from sending a\n")
	fmt.Fprintf(&t, "tap on a switch to its click handlers running, over the taps sent once the page showed its switches (before, a tap waits for the\n")
	fmt.Fprintf(&t, "page's load, the *visible* column).\n\n")
	fmt.Fprintf(&t, "| median (min–max), ms | visible | host's state shown | tap → bridge message | longest task | switch delay |\n|---|---:|---:|---:|---:|---:|\n")
	for _, sc := range engineScenarios {
		fmt.Fprintf(&t, "| %s | %s | %s | %s | %s | %s |\n", sc.title,
			cell(sc.name, func(r engineRun) float64 { return r.Visible }),
			cell(sc.name, func(r engineRun) float64 { return r.Shown }),
			cell(sc.name, func(r engineRun) float64 { return r.TapToBridge }),
			cell(sc.name, func(r engineRun) float64 { return r.LongestTask }),
			cell(sc.name, func(r engineRun) float64 { return r.SwitchDelay }))
	}
	goal := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	floor, first, reask, settings := engineMedians(results["floor"]), engineMedians(results["first"]), engineMedians(results["reask"]), engineMedians(results["settings"])
	fmt.Fprintf(&t, "\nGoals (issue 20, medians of this run): gate visible ≤ 300 ms: %s (over the empty page's floor: %s and %s ms); tap → bridge message ≤ 50 ms: %s; no task over 200 ms before\n",
		goal(first.Visible <= 300 && reask.Visible <= 300), ms(first.Visible-floor.Visible), ms(reask.Visible-floor.Visible), goal(first.TapToBridge <= 50 && reask.TapToBridge <= 50))
	fmt.Fprintf(&t, "the first decision: %s; a settings switch answers within 200 ms while the wasm starts: %s.\n",
		goal(first.LongestTask <= 200 && reask.LongestTask <= 200), goal(settings.SwitchDelay <= 200))
	return t.String()
}
