package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/server"
)

// Fast 3G as the task defines it: 150 ms latency, 1.6 Mbit/s down,
// 750 Kbit/s up.
var fast3G = &network.Conditions{Latency: 150, DownloadThroughput: 1.6e6 / 8, UploadThroughput: 750e3 / 8}

// bannerProbe runs in the host page before any of its scripts. At the
// first frame where a banner's Accept all button is visible (in the
// viewport, nothing on its way transparent or hidden, and what a tap at
// its centre would hit) it notes the time and clicks it at once, as the
// quickest visitor would; the banner's own event (kaiconn:consent,
// vanilla-cookieconsent's cc:onConsent) notes when the page knows the
// decision. Times are milliseconds from the start of navigation.
//
// A visitor's browser is not driven by a program: navigator.webdriver is
// false, as it is for people, or vanilla-cookieconsent (hideFromBots, on
// by default) would not show itself at all.
const bannerProbe = `(() => {
  Object.defineProperty(Navigator.prototype, "webdriver", {get: () => false, configurable: true});
  if (window.top !== window) return;
  const mark = k => { if (!window[k]) window[k] = performance.now(); };
  document.addEventListener("kaiconn:consent", () => mark("__kcKnown"));
  window.addEventListener("cc:onConsent", () => mark("__kcKnown"));
  function accept() {
    const h = document.querySelector("kaiconn-banner");
    if (h && h.shadowRoot) { const b = h.shadowRoot.getElementById("kc-accept"); return b && [b, h.shadowRoot]; }
    const b = document.querySelector('#cc-main [data-role="all"]');
    return b && [b, document];
  }
  function visible(b, root) {
    const r = b.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0 || r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.right > innerWidth) return false;
    for (let e = b; e; e = e.parentElement || (e.getRootNode() && e.getRootNode().host)) {
      const s = getComputedStyle(e);
      if (s.display === "none" || s.visibility === "hidden" || +s.opacity === 0) return false;
    }
    const hit = root.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit === b || b.contains(hit);
  }
  (function tick() {
    const f = accept();
    if (f && visible(f[0], f[1])) {
      mark("__kcVisible");
      mark("__kcClicked");
      f[0].click();
      return;
    }
    requestAnimationFrame(tick);
  })();
})();`

// bannerBenchWindow is how long each run watches the page: the "KB at 15 s".
const bannerBenchWindow = 15 * time.Second

// bannerVariants are the banners the benchmark compares, by the host
// page's ?variant=.
var bannerVariants = []struct{ name, title string }{
	{"kaiconn", "Kaiconn"},
	{"cookieconsent", "vanilla-cookieconsent 3.1.0"},
}

// bannerRun is what one run of one banner measured.
type bannerRun struct {
	Visible, Known      float64 // ms from the start of navigation
	ClickToKnown        float64 // ms
	BytesBefore, Bytes  int64   // received before the click, and in bannerBenchWindow
	WasmBytes, Requests int64
}

// BenchmarkBannerVsCookieConsent measures Kaiconn's banner against
// vanilla-cookieconsent 3.1.0 (pinned in e2e/js, served from a CDN
// origin) on the same host page (testdata/banner/host.html), each run in
// a fresh browser profile on an emulated Fast 3G connection, the two
// interleaved: KB before a decision and in 15 s, when the banner is
// visible and when the page knows the decision, medians and ratios. It
// writes the table to docs/measurements.md (between <!--
// bench:banner:begin --> and <!-- bench:banner:end -->) and is never a
// pass/fail test. Run it with make bench, or
//
//	go test ./e2e -run '^$' -bench BannerVsCookieConsent -benchtime 1x
//
// KAICONN_BENCH_RUNS sets the runs per banner (default 7, at least 5).
func BenchmarkBannerVsCookieConsent(b *testing.B) {
	runs := 7
	if n, err := strconv.Atoi(os.Getenv("KAICONN_BENCH_RUNS")); err == nil {
		runs = max(n, 5)
	}
	site := newHostSite(b)
	srv := startServerB(b, func(c *server.Config) { c.BannerOrigins = []string{site.URL} })
	site.consent = srv
	site.cdn = cookieConsentCDN(b)
	site.text = loadBannerText(b, srv, site.lang)

	var results map[string][]bannerRun
	for i := 0; i < b.N; i++ {
		results = map[string][]bannerRun{}
		for r := 0; r < runs; r++ {
			// Interleaved, each banner first in every other round, so that
			// neither always meets a warmer machine.
			order := slices.Clone(bannerVariants)
			if r%2 == 1 {
				slices.Reverse(order)
			}
			for _, v := range order {
				results[v.name] = append(results[v.name], measureBanner(b, site.URL+"/?variant="+v.name))
			}
		}
	}
	k, cc := medians(results["kaiconn"]), medians(results["cookieconsent"])
	b.ReportMetric(k.Visible, "kaiconn-visible-ms")
	b.ReportMetric(cc.Visible, "cookieconsent-visible-ms")
	b.ReportMetric(k.Known, "kaiconn-known-ms")
	b.ReportMetric(cc.Known, "cookieconsent-known-ms")
	b.ReportMetric(float64(k.BytesBefore)/1000, "kaiconn-KB-before")
	b.ReportMetric(float64(cc.BytesBefore)/1000, "cookieconsent-KB-before")
	b.ReportMetric(float64(k.WasmBytes), "kaiconn-wasm-B")

	embedRaw, embedGzip := embedSize(b, srv)
	table := bannerTable(b, results, runs, embedRaw, embedGzip)
	fmt.Println(table)
	if err := writeMeasurements("banner", table); err != nil {
		b.Errorf("docs/measurements.md: %v", err)
	}
}

// measureBanner loads url once in a fresh profile under Fast 3G and
// returns what bannerProbe and the network saw.
func measureBanner(b *testing.B, url string) bannerRun {
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, bannerBenchWindow+45*time.Second)
	defer cancelT()
	m := &byteMeter{reqs: map[network.RequestID]*meteredRequest{}}
	if err := chromedp.Listen(ctx, m.on); err != nil {
		b.Fatal(err)
	}
	err := chromedp.Do(ctx,
		call(network.Enable, network.EnableParams{}),
		call(network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}),
		call(network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{fast3G}}),
		call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: bannerProbe}),
	)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		b.Fatal(err)
	}
	times, err := chromedp.Run(ctx, chromedp.Poll[[]float64](`window.__kcKnown ? [__kcVisible, __kcClicked, __kcKnown, performance.timeOrigin] : null`,
		chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.Fatalf("%s: no decision: %v", url, err)
	}
	time.Sleep(time.Until(start.Add(bannerBenchWindow)))
	clickedAt := (times[3] + times[1]) / 1000 // wall clock, seconds
	run := bannerRun{Visible: times[0], Known: times[2], ClickToKnown: times[2] - times[1]}
	run.BytesBefore, run.Bytes, run.WasmBytes, run.Requests = m.totals(clickedAt)
	return run
}

// byteMeter adds up what a tab received, from the network events.
type byteMeter struct {
	mu sync.Mutex
	// offset turns the events' monotonic clock into the wall clock.
	offset float64
	reqs   map[network.RequestID]*meteredRequest
}

type meteredRequest struct {
	url      string
	chunks   [][2]float64 // time, bytes
	finished float64      // time; 0 while loading
	total    float64
}

func (m *byteMeter) req(id network.RequestID) *meteredRequest {
	r := m.reqs[id]
	if r == nil {
		r = &meteredRequest{}
		m.reqs[id] = r
	}
	return r
}

func (m *byteMeter) on(ev any) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		if m.offset == 0 {
			m.offset = e.WallTime.Float64() - e.Timestamp.Float64()
		}
		m.req(e.RequestID).url = e.Request.URL
	case *network.EventDataReceived:
		r := m.req(e.RequestID)
		r.chunks = append(r.chunks, [2]float64{e.Timestamp.Float64(), float64(e.EncodedDataLength)})
	case *network.EventLoadingFinished:
		r := m.req(e.RequestID)
		r.finished, r.total = e.Timestamp.Float64(), e.EncodedDataLength
	case *network.EventLoadingFailed:
		m.req(e.RequestID).finished = e.Timestamp.Float64()
	}
}

// totals returns the bytes received (headers included, as encoded on the
// wire) before the wall-clock time at and in all, the wasm's share, and
// the number of requests.
func (m *byteMeter) totals(at float64) (before, all, wasm, requests int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	mono := at - m.offset
	for _, r := range m.reqs {
		var got, early float64
		for _, c := range r.chunks {
			got += c[1]
			if c[0] <= mono {
				early += c[1]
			}
		}
		if r.total > got {
			got = r.total
		}
		if r.finished != 0 && r.finished <= mono {
			early = got
		}
		before += int64(early)
		all += int64(got)
		if strings.Contains(r.url, ".wasm") {
			wasm += int64(got)
		}
		requests++
	}
	return before, all, wasm, requests
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// medians is the run of medians, metric by metric.
func medians(runs []bannerRun) bannerRun {
	col := func(f func(bannerRun) float64) float64 {
		var xs []float64
		for _, r := range runs {
			xs = append(xs, f(r))
		}
		return median(xs)
	}
	return bannerRun{
		Visible:      col(func(r bannerRun) float64 { return r.Visible }),
		Known:        col(func(r bannerRun) float64 { return r.Known }),
		ClickToKnown: col(func(r bannerRun) float64 { return r.ClickToKnown }),
		BytesBefore:  int64(col(func(r bannerRun) float64 { return float64(r.BytesBefore) })),
		Bytes:        int64(col(func(r bannerRun) float64 { return float64(r.Bytes) })),
		WasmBytes:    int64(col(func(r bannerRun) float64 { return float64(r.WasmBytes) })),
		Requests:     int64(col(func(r bannerRun) float64 { return float64(r.Requests) })),
	}
}

// bannerTable renders the comparison as the Markdown section of
// docs/measurements.md.
func bannerTable(b *testing.B, results map[string][]bannerRun, runs, embedRaw, embedGzip int) string {
	k, cc := medians(results["kaiconn"]), medians(results["cookieconsent"])
	span := func(name string, f func(bannerRun) float64, unit func(float64) string) string {
		var xs []float64
		for _, r := range results[name] {
			xs = append(xs, f(r))
		}
		return unit(slices.Min(xs)) + "–" + unit(slices.Max(xs))
	}
	kb := func(v float64) string { return strconv.FormatFloat(v/1000, 'f', 1, 64) }
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	ratio := func(a, b float64) string {
		if b == 0 {
			return "—"
		}
		return strconv.FormatFloat(a/b, 'f', 2, 64) + "×"
	}
	var t strings.Builder
	fmt.Fprintf(&t, "### The banner against vanilla-cookieconsent 3.1.0\n\n")
	fmt.Fprintf(&t, "`make bench` (`BenchmarkBannerVsCookieConsent`, package `e2e`), %s, on %s.\n", time.Now().Format("2006-01-02"), machine(b))
	fmt.Fprintf(&t, "One host page (`e2e/testdata/banner/host.html`, 127.0.0.1:A) in two variants: Kaiconn's `embed.js` from the consent host (127.0.0.1:B),\n")
	fmt.Fprintf(&t, "vanilla-cookieconsent 3.1.0 as its guide sets it up (stylesheet, `cookieconsent-config.js` importing the UMD build from a CDN origin, 127.0.0.1:C, gzip -9)\n")
	fmt.Fprintf(&t, "with the same three categories and texts. Fast 3G (150 ms, 1.6 Mbit/s down, 750 Kbit/s up, `Network.emulateNetworkConditionsByRule` per tab),\n")
	fmt.Fprintf(&t, "a fresh browser profile per run, cache off, interleaved, N = %d per banner, medians (min–max). The probe clicks *Accept all* at the first\n", runs)
	fmt.Fprintf(&t, "frame where it is visible and hit-testable. KB = 1,000 bytes on the wire, headers included.\n\n")
	fmt.Fprintf(&t, "| median (min–max) | Kaiconn | vanilla-cookieconsent | Kaiconn ÷ vanilla |\n|---|---:|---:|---:|\n")
	row := func(label string, f func(bannerRun) float64, unit func(float64) string) {
		fmt.Fprintf(&t, "| %s | %s (%s) | %s (%s) | %s |\n", label,
			unit(f(k)), span("kaiconn", f, unit), unit(f(cc)), span("cookieconsent", f, unit), ratio(f(k), f(cc)))
	}
	row("KB before a decision", func(r bannerRun) float64 { return float64(r.BytesBefore) }, kb)
	row("KB at 15 s", func(r bannerRun) float64 { return float64(r.Bytes) }, kb)
	row("banner visible, ms", func(r bannerRun) float64 { return r.Visible }, ms)
	row("decision known to the page, ms", func(r bannerRun) float64 { return r.Known }, ms)
	row("click → decision known, ms", func(r bannerRun) float64 { return r.ClickToKnown }, ms)
	row("requests in 15 s", func(r bannerRun) float64 { return float64(r.Requests) }, ms)
	row("wasm KB", func(r bannerRun) float64 { return float64(r.WasmBytes) }, kb)
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	fmt.Fprintf(&t, "\nGoals (medians of this run): visible ≤ 1.0× vanilla: %s; decision known ≤ 1.0×: %s; ≤ 25 KB before a decision: %s; 0 wasm bytes: %s.\n",
		check(k.Visible <= cc.Visible), check(k.Known <= cc.Known), check(k.BytesBefore <= 25000), check(k.WasmBytes == 0))
	fmt.Fprintf(&t, "`/embed.js` as served: %d bytes, %d gzip -9 (a test keeps it ≤ 10 KB gzip).\n", embedRaw, embedGzip)
	return t.String()
}

// machine names the machine and browser a measurement ran on.
func machine(b *testing.B) string {
	cpu := runtime.GOARCH
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	load := ""
	if raw, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = ", load " + strings.Join(strings.Fields(string(raw))[:3], " ")
	}
	product := "Chromium"
	if v, err := chromedp.CallBrowser(browserCtx, browser.GetVersion, cdp.Empty{}); err == nil {
		product = strings.Replace(v.Product, "/", " ", 1)
	}
	return fmt.Sprintf("%s/%s, %s, %d cores%s, headless %s", runtime.GOOS, runtime.GOARCH, cpu, runtime.NumCPU(), load, product)
}

// writeMeasurements puts section between its markers in
// docs/measurements.md, creating the file or the section when missing.
func writeMeasurements(name, section string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	file := filepath.Join(root, "docs", "measurements.md")
	begin, end := "<!-- bench:"+name+":begin -->", "<!-- bench:"+name+":end -->"
	block := begin + "\n" + strings.TrimSpace(section) + "\n" + end
	old, err := os.ReadFile(file)
	switch {
	case os.IsNotExist(err):
		old = []byte("# Measurements\n")
	case err != nil:
		return err
	}
	text := string(old)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i >= 0 && j > i {
		text = text[:i] + block + text[j+len(end):]
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + block + "\n"
	}
	return os.WriteFile(file, []byte(text), 0o644)
}

// embedSize is /embed.js as served, raw and gzipped at -9.
func embedSize(b *testing.B, base string) (raw, gz int) {
	res, err := http.Get(base + "/embed.js")
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	return len(body), buf.Len()
}

// cookieConsentCDN serves vanilla-cookieconsent's dist files (from
// e2e/js, installed with npm ci when missing) from an origin of their
// own, as a CDN would: gzip, CORS for the module import, cacheable.
func cookieConsentCDN(b testing.TB) string {
	dir, err := filepath.Abs(filepath.Join("js", "node_modules", "vanilla-cookieconsent", "dist"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cookieconsent.umd.js")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = "js"
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("npm ci in e2e/js: %v\n%s", err, out)
		}
	}
	files := map[string][]byte{}
	for _, name := range []string{"cookieconsent.umd.js", "cookieconsent.css"} {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(raw)
		zw.Close()
		files["/"+name] = buf.Bytes()
	}
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		if strings.HasSuffix(r.URL.Path, ".css") {
			h.Set("Content-Type", "text/css; charset=utf-8")
		}
		h.Set("Content-Encoding", "gzip")
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cache-Control", "public, max-age=31536000")
		w.Write(body)
	}))
	b.Cleanup(cdn.Close)
	return cdn.URL
}

// loadBannerText reads the texts the banner shows in l from the server's
// configuration, messages and catalogue, for vanilla-cookieconsent's.
func loadBannerText(b testing.TB, base, l string) bannerText {
	res, err := http.Get(base + "/banner/config")
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var cfg struct {
		V string
		L map[string]struct{ Label, Title, Intro, Policy, PolicyURL, Accept, Reject, Customise string }
	}
	if err := json.NewDecoder(res.Body).Decode(&cfg); err != nil {
		b.Fatal(err)
	}
	tx := cfg.L[l]
	cat, err := consent.LoadCatalogue(catalogue.FS, cfg.V)
	if err != nil {
		b.Fatal(err)
	}
	out := bannerText{Title: tx.Title, Intro: tx.Intro, Policy: tx.Policy, PolicyURL: base + tx.PolicyURL, Label: tx.Label,
		Accept: tx.Accept, Reject: tx.Reject, Customise: tx.Customise, Save: lang.DefaultBundle().Localizer(l).T("banner_save")}
	for _, p := range cat.Purposes(consent.SurfaceWebBanner) {
		out.Categories = append(out.Categories, bannerCategory{ID: string(p.ID), Title: p.Title.Show(l), Description: p.Description.Show(l), Required: p.Required})
	}
	return out
}

// startServerB is startServer for benchmarks (startServer takes a
// *testing.T); it returns the server's URL.
func startServerB(b *testing.B, mutate ...func(*server.Config)) string {
	b.Helper()
	cfg := server.Config{Addr: "127.0.0.1:0", DataDir: b.TempDir(), WebDir: webDir}
	for _, f := range mutate {
		f(&cfg)
	}
	srv, closeAll, err := openServer(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { closeAll() })
	return srv.URL()
}

// gateProbe runs in the gate before any of its scripts. It plays an
// Android host (KaiconnConsentBridge) that notes when the bridge message
// arrives, notes the first frame where Disagree is visible (in the
// viewport and what a tap at its centre would hit), and taps it at the
// first frame where gate.js has also taken over the form, as the quickest
// person would. Times are milliseconds from the start of navigation.
const gateProbe = `(() => {
  window.KaiconnConsentBridge = { postMessage: function (s) { if (!window.__kcBridge) window.__kcBridge = performance.now(); } };
  if (window.top !== window) return;
  (function tick() {
    const b = document.getElementById("kc-disagree");
    if (b) {
      const r = b.getBoundingClientRect();
      const seen = r.width > 0 && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight &&
        document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === b;
      if (seen && !window.__kcVisible) window.__kcVisible = performance.now();
      if (seen && document.documentElement.getAttribute("data-gate") === "ready") {
        window.__kcReady = performance.now();
        window.__kcTap = performance.now();
        b.click();
        return;
      }
    }
    requestAnimationFrame(tick);
  })();
})();`

// gateVariants are the two ways the gate is measured: with the wasm
// blocked, and with nothing blocked (the wasm would load if the page asked
// for it; the gate asks for none).
var gateVariants = []struct {
	name, title string
	block       bool
}{
	{"blocked", "wasm blocked", true},
	{"open", "wasm not blocked", false},
}

// gateRun is what one run of the gate measured.
type gateRun struct {
	Visible, Ready, TapToBridge float64 // ms
	BytesBefore, WasmBytes      int64
}

// BenchmarkGate measures /consent on a phone (360×740) over Fast 3G in a
// fresh browser profile: when the decision buttons are visible, when
// gate.js has taken over, and how long a tap takes to reach the host app
// as the bridge message, with the wasm blocked and not blocked, the two
// interleaved, medians. It writes docs/measurements.md (between <!--
// bench:gate:begin --> and <!-- bench:gate:end -->) and never fails on a
// number. Run it with make bench, or
//
//	go test ./e2e -run '^$' -bench BenchmarkGate -benchtime 1x
//
// KAICONN_BENCH_RUNS sets the runs per variant (default 7, at least 5).
func BenchmarkGate(b *testing.B) {
	runs := 7
	if n, err := strconv.Atoi(os.Getenv("KAICONN_BENCH_RUNS")); err == nil {
		runs = max(n, 5)
	}
	base := startServerB(b)
	var results map[string][]gateRun
	for i := 0; i < b.N; i++ {
		results = map[string][]gateRun{}
		for r := 0; r < runs; r++ {
			order := slices.Clone(gateVariants)
			if r%2 == 1 {
				slices.Reverse(order)
			}
			for _, v := range order {
				results[v.name] = append(results[v.name], measureGate(b, base+"/consent?lang=zh-Hans", v.block))
			}
		}
	}
	for _, v := range gateVariants {
		m := gateMedians(results[v.name])
		b.ReportMetric(m.Visible, v.name+"-visible-ms")
		b.ReportMetric(m.TapToBridge, v.name+"-tap-to-bridge-ms")
	}
	table := gateTable(b, results, runs)
	fmt.Println(table)
	if err := writeMeasurements("gate", table); err != nil {
		b.Errorf("docs/measurements.md: %v", err)
	}
}

// measureGate loads the gate once in a fresh profile under Fast 3G.
func measureGate(b *testing.B, url string, blockWasm bool) gateRun {
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	m := &byteMeter{reqs: map[network.RequestID]*meteredRequest{}}
	if err := chromedp.Listen(ctx, m.on); err != nil {
		b.Fatal(err)
	}
	blocked := []*network.BlockPattern{}
	if blockWasm {
		blocked = append(blocked, &network.BlockPattern{URLPattern: "*://*:*/*.wasm", Block: true}, &network.BlockPattern{URLPattern: "*://*:*/wasm_exec*", Block: true})
	}
	err := chromedp.Do(ctx,
		call(network.Enable, network.EnableParams{}),
		call(network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}),
		call(network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: blocked}),
		call(network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{fast3G}}),
		call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: gateProbe}),
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
	)
	if err != nil {
		b.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		b.Fatal(err)
	}
	times, err := chromedp.Run(ctx, chromedp.Poll[[]float64](`window.__kcBridge ? [__kcVisible, __kcReady, __kcTap, __kcBridge, performance.timeOrigin] : null`,
		chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		b.Fatalf("%s: no bridge message: %v", url, err)
	}
	// Anything the page would still fetch (the wasm, were it asked for)
	// shows in the next seconds.
	time.Sleep(3 * time.Second)
	run := gateRun{Visible: times[0], Ready: times[1], TapToBridge: times[3] - times[2]}
	run.BytesBefore, _, run.WasmBytes, _ = m.totals((times[4] + times[2]) / 1000)
	return run
}

func gateMedians(runs []gateRun) gateRun {
	col := func(f func(gateRun) float64) float64 {
		var xs []float64
		for _, r := range runs {
			xs = append(xs, f(r))
		}
		return median(xs)
	}
	return gateRun{
		Visible:     col(func(r gateRun) float64 { return r.Visible }),
		Ready:       col(func(r gateRun) float64 { return r.Ready }),
		TapToBridge: col(func(r gateRun) float64 { return r.TapToBridge }),
		BytesBefore: int64(col(func(r gateRun) float64 { return float64(r.BytesBefore) })),
		WasmBytes:   int64(col(func(r gateRun) float64 { return float64(r.WasmBytes) })),
	}
}

// gateTable renders the gate's section of docs/measurements.md.
func gateTable(b *testing.B, results map[string][]gateRun, runs int) string {
	span := func(name string, f func(gateRun) float64, unit func(float64) string) string {
		var xs []float64
		for _, r := range results[name] {
			xs = append(xs, f(r))
		}
		return unit(slices.Min(xs)) + "–" + unit(slices.Max(xs))
	}
	kb := func(v float64) string { return strconv.FormatFloat(v/1000, 'f', 1, 64) }
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }
	ms1 := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	var t strings.Builder
	fmt.Fprintf(&t, "### The first-launch gate: visible, and tap to bridge message\n\n")
	fmt.Fprintf(&t, "`make bench` (`BenchmarkGate`, package `e2e`), %s, on %s.\n", time.Now().Format("2006-01-02"), machine(b))
	fmt.Fprintf(&t, "`/consent?lang=zh-Hans` at 360×740 (mobile emulation), Fast 3G (150 ms, 1.6 Mbit/s down, 750 Kbit/s up), a fresh browser profile per run,\n")
	fmt.Fprintf(&t, "cache off, the two variants interleaved, N = %d each, medians (min–max). A probe plays the Android host and taps *Disagree* at the\n", runs)
	fmt.Fprintf(&t, "first frame where it is visible and gate.js has taken the form; *tap → bridge message* is from the tap to the host's `postMessage`.\n")
	fmt.Fprintf(&t, "The gate loads no wasm (its `boot.js` would only for a host's state on a page rendered without one), so \"wasm not blocked\" fetches none either (wasm KB counts the 3 s after the tap).\n\n")
	fmt.Fprintf(&t, "| median (min–max) | wasm blocked | wasm not blocked |\n|---|---:|---:|\n")
	row := func(label string, f func(gateRun) float64, unit func(float64) string) {
		fmt.Fprintf(&t, "| %s |", label)
		for _, v := range gateVariants {
			fmt.Fprintf(&t, " %s (%s) |", unit(f(gateMedians(results[v.name]))), span(v.name, f, unit))
		}
		fmt.Fprintln(&t)
	}
	row("`/consent` visible, ms", func(r gateRun) float64 { return r.Visible }, ms)
	row("gate.js ready, ms", func(r gateRun) float64 { return r.Ready }, ms)
	row("tap → bridge message, ms", func(r gateRun) float64 { return r.TapToBridge }, ms1)
	row("KB before the tap", func(r gateRun) float64 { return float64(r.BytesBefore) }, kb)
	row("wasm KB", func(r gateRun) float64 { return float64(r.WasmBytes) }, kb)
	met := true
	for _, v := range gateVariants {
		met = met && gateMedians(results[v.name]).TapToBridge <= 150
	}
	goal := "met"
	if !met {
		goal = "**not met**"
	}
	fmt.Fprintf(&t, "\nGoal (medians of this run): tap → bridge message ≤ 150 ms with the wasm blocked and not blocked: %s. Before issue 11 the message came\n", goal)
	fmt.Fprintf(&t, "about 650 ms after the tap (a form post, a redirect and a done page that fetched the wasm again).\n")
	return t.String()
}
