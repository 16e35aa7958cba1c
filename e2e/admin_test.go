package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/console/consoletest"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/server"
	"github.com/kaiconn/consent/store/sqlite"
)

var screenshots = flag.Bool("screenshots", false, "write the screenshots: the gallery to tmp/screenshots, the docs' pictures to docs/screenshots (make screenshots)")

const (
	officer, viewer = "li.na", "zhang.wei"
	adminPassword   = "correct horse battery"
	lockoutAfter    = 3
)

// consoleSite is the real program with the console's data set seeded
// before it started, its operators added as kaiconn-consent admin add
// adds them.
type consoleSite struct {
	srv    *server.Server
	seeded *consoletest.Seeded
}

// withLaterPolicy serves the base version and the fictitious later one of
// testdata (localestest), so that the data set holds a re-ask.
func withLaterPolicy(t *testing.T) (fs.FS, fs.FS) {
	t.Helper()
	return localestest.Catalogues(t, localestest.Base, localestest.Later), localestest.Policy(t, localestest.Base, localestest.Later)
}

func startConsole(t *testing.T) *consoleSite {
	t.Helper()
	dir := t.TempDir()
	cats, pols := withLaterPolicy(t)
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(dir, "kaiconn.db"))
	require.NoError(t, err)
	keys, err := receipt.OpenKeyring(filepath.Join(dir, "keys"))
	require.NoError(t, err)
	loaded := map[string]*consent.Catalogue{}
	for _, v := range []string{localestest.Base, consoletest.Later} {
		loaded[v], err = consent.LoadCatalogue(cats, v)
		require.NoError(t, err)
	}
	// The console reads a stopped clock, the one the data set is seeded
	// at: a seeded "today" read a moment later could be another day in
	// Beijing.
	noon := consoletest.Noon(time.Now())
	seeded, err := consoletest.Seed(ctx, db, keys, consoletest.Sources{Catalogues: loaded, Policy: pols}, noon)
	require.NoError(t, err)
	for name, role := range map[string]console.Role{officer: console.Officer, viewer: console.Viewer} {
		op, err := console.NewOperator(name, role, adminPassword, noon)
		require.NoError(t, err)
		require.NoError(t, db.AddOperator(ctx, op))
	}
	require.NoError(t, db.Close())
	srv := startServer(t, func(c *server.Config) {
		c.DataDir, c.CatalogueFS, c.PolicyFS = dir, cats, pols
		c.Admin.LockoutAttempts = lockoutAfter
		c.Admin.Now = func() time.Time { return noon }
	})
	return &consoleSite{srv: srv, seeded: seeded}
}

// adminTab is a fresh tab with no cookie: tabs share the browser's jar,
// and cookies ignore the port.
func adminTab(t *testing.T) context.Context {
	t.Helper()
	ctx := newTab(t)
	do(t, ctx)
	_, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{})
	require.NoError(t, err)
	return ctx
}

func signIn(t *testing.T, ctx context.Context, site *consoleSite, l, name, password string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(site.srv.URL()+"/admin/login?lang="+l),
		chromedp.WaitVisible(chromedp.ID("kc-name")),
		chromedp.SendKeys(chromedp.ID("kc-name"), name),
		chromedp.SendKeys(chromedp.ID("kc-password"), password),
		chromedp.Click(chromedp.CSS(`[data-testid="sign-in"]`)),
		// The answer: the console, or the form again with why not. The
		// form was loaded fresh, so neither is on the page before.
		chromedp.WaitVisible(chromedp.CSS(`#kc-login-error, [data-testid="operator"]`)),
	)
}

func textOf(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	require.NoError(t, err, css)
	return strings.TrimSpace(s)
}

// cell is the text of a cell of a console table, by the row's header and
// the column's.
func cell(t *testing.T, ctx context.Context, table, row, column string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf(`(function () {
	  var t = document.querySelector('table[data-table=%q]');
	  var cols = Array.from(t.tHead.rows[0].cells).map(function (c) { return c.textContent.trim(); });
	  var r = Array.from(t.tBodies[0].rows).find(function (r) { return r.cells[0].textContent.trim() === %q; });
	  return r ? r.cells[cols.indexOf(%q)].textContent.trim() : "no row";
	})()`, table, row, column))
}

var (
	verifierOnce sync.Once
	verifierPath string
	verifierErr  error
)

// kaiconnVerify builds the verifier once.
func kaiconnVerify(t *testing.T) string {
	t.Helper()
	verifierOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			verifierErr = err
			return
		}
		verifierPath = filepath.Join(webDir, "kaiconn-verify")
		cmd := exec.Command("go", "build", "-o", verifierPath, "./cmd/kaiconn-verify")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			verifierErr = fmt.Errorf("%v\n%s", err, out)
		}
	})
	require.NoError(t, verifierErr)
	return verifierPath
}

// download clicks a link and returns the file the browser saved.
func download(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	dir := t.TempDir()
	_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptr(true)})
	require.NoError(t, err)
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	do(t, ctx, chromedp.Click(chromedp.CSS(css)))
	for ev, err := range progress {
		require.NoError(t, err)
		if ev.State == browser.DownloadProgressStateCompleted {
			return filepath.Join(dir, ev.GUID)
		}
		require.NotEqual(t, browser.DownloadProgressStateCanceled, ev.State)
	}
	t.Fatal("no download")
	return ""
}

func ptr[T any](v T) *T { return &v }

// The officer's whole errand: sign in, read the insights of the seeded
// data set, look a person up by a receipt id, download the proof bundle,
// check it offline, sign out.
func TestAdminConsole(t *testing.T) {
	site := startConsole(t)
	ctx := adminTab(t)
	seeded := site.seeded

	signIn(t, ctx, site, "en", officer, adminPassword)
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("chart-decisions-title")))
	assert.Equal(t, officer+" officer", textOf(t, ctx, `[data-testid="operator"]`))

	t.Run("Insights", func(t *testing.T) {
		assert.Equal(t, fmt.Sprint(seeded.Total), textOf(t, ctx, `[data-testid="total-decisions"]`))
		assert.Equal(t, fmt.Sprintf("%d s", seeded.MedianSeconds), textOf(t, ctx, `[data-testid="median-time"]`))
		for day, counts := range seeded.Decisions {
			for kind, n := range counts {
				label := map[string]string{"agreed": "Agreed", "declined": "Declined", "withdrawn": "Withdrawn", "updated": "Updated"}[kind]
				assert.Equal(t, fmt.Sprint(n), cell(t, ctx, "decisions", day.String(), label), "%s %s", day, kind)
			}
		}
		// The chart draws what the table says: one bar per non-zero
		// count, titled with it.
		bars := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-chart="chart-decisions"] svg rect title')).map(function (t) { return t.textContent; })`)
		today := seeded.Today.String()
		assert.Contains(t, bars, today[5:]+", Agreed: "+fmt.Sprint(seeded.Decisions[seeded.Today]["agreed"]))
		assert.Equal(t, "img", eval[string](t, ctx, `document.querySelector('[data-chart="chart-decisions"] svg').getAttribute('role')`))
		assert.Equal(t, "1 (20.0%)", cell(t, ctx, "purposes", "Location services (location, app)", "Withdrawn"))
		assert.Equal(t, "1 (100.0%)", cell(t, ctx, "reasks", consoletest.Later, "Agreed"))
	})

	t.Run("LookUp", func(t *testing.T) {
		id := seeded.Receipts["app-zh-2"]
		do(t, ctx,
			chromedp.Click(chromedp.CSS(`[data-testid="nav-lookup"]`)),
			chromedp.WaitVisible(chromedp.ID("kc-q")),
			chromedp.SendKeys(chromedp.ID("kc-q"), id),
			chromedp.Click(chromedp.CSS(`[data-testid="look-up"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="verdict"]`)),
		)
		assert.Equal(t, seeded.Subjects["app-zh"], textOf(t, ctx, `[data-testid="subject"]`))
		assert.Contains(t, textOf(t, ctx, `[data-testid="verdict"]`), "All 3 receipts verified")
		assert.Equal(t, 3, eval[int](t, ctx, `document.querySelectorAll('[data-testid="receipt"]').length`))
		assert.Equal(t, 0, eval[int](t, ctx, `document.querySelectorAll('[data-status="failed"]').length`))
		assert.True(t, eval[bool](t, ctx, `document.getElementById('r-`+id+`').classList.contains('kc-timeline__item--found')`))
	})

	t.Run("ProofBundle", func(t *testing.T) {
		file := download(t, ctx, `[data-testid="download-json"]`)
		verify := kaiconnVerify(t)
		out, err := exec.Command(verify, "-bundle", file).CombinedOutput()
		var unpinned *exec.ExitError
		require.ErrorAs(t, err, &unpinned, "a bundle does not vouch for its own keys: %s", out)
		assert.Equal(t, 3, unpinned.ExitCode())
		assert.Contains(t, string(out), "KEYS UNVERIFIED: bundle of subject "+seeded.Subjects["app-zh"])

		jwks := filepath.Join(t.TempDir(), "jwks.json")
		res, err := http.Get(site.srv.URL() + "/.well-known/jwks.json")
		require.NoError(t, err)
		data, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(jwks, data, 0o644))
		out, err = exec.Command(verify, "-jwks", jwks, "-bundle", file).CombinedOutput()
		require.NoError(t, err, "with the keys the server publishes: %s", out)
		assert.Contains(t, string(out), "OK: bundle of subject "+seeded.Subjects["app-zh"])
		assert.Contains(t, string(out), "3 receipts (3 device-signed, 0 server-attested)")

		bundle, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, at := range []int{len(bundle) / 3, len(bundle) / 2, len(bundle) - 10} {
			altered := append([]byte(nil), bundle...)
			altered[at] ^= 0x02
			bad := filepath.Join(t.TempDir(), "altered.json")
			require.NoError(t, os.WriteFile(bad, altered, 0o644))
			out, err := exec.Command(verify, "-jwks", jwks, "-bundle", bad).CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "byte %d altered: %s", at, out)
			assert.Equal(t, 1, exit.ExitCode())
			assert.Contains(t, string(out), "FAILED")
		}

		html := download(t, ctx, `[data-testid="download-html"]`)
		page, err := os.ReadFile(html)
		require.NoError(t, err)
		assert.Contains(t, string(page), "All 3 receipts verified")
		assert.NotContains(t, string(page), "<script")
	})

	t.Run("SignOut", func(t *testing.T) {
		do(t, ctx, chromedp.Click(chromedp.CSS(`[data-testid="sign-out"]`)), chromedp.WaitVisible(chromedp.ID("kc-password")))
		do(t, ctx, chromedp.Navigate(site.srv.URL()+"/admin/insights?lang=en"), chromedp.WaitVisible(chromedp.ID("kc-password")))
		assert.Contains(t, eval[string](t, ctx, `location.pathname`), "/admin/login")
	})
}

func TestAdminViewerCannotOpenSubject(t *testing.T) {
	site := startConsole(t)
	ctx := adminTab(t)
	signIn(t, ctx, site, "en", viewer, adminPassword)
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("chart-decisions-title")))
	assert.Zero(t, eval[int](t, ctx, `document.querySelectorAll('[data-testid="nav-lookup"]').length`), "not offered")
	do(t, ctx, chromedp.Navigate(site.srv.URL()+"/admin/subjects/"+site.seeded.Subjects["app-zh"]+"?lang=en"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="admin-error"]`)))
	assert.Contains(t, textOf(t, ctx, `[data-testid="admin-error"]`), "Only officers may look up")
	assert.Zero(t, eval[int](t, ctx, `document.querySelectorAll('[data-testid="receipt"]').length`))
	assert.NotContains(t, eval[string](t, ctx, `document.body.innerHTML`), site.seeded.Receipts["app-zh-1"])
}

func TestAdminLockout(t *testing.T) {
	site := startConsole(t)
	ctx := adminTab(t)
	for i := 1; i <= lockoutAfter; i++ {
		signIn(t, ctx, site, "en", officer, "a wrong password, attempt "+fmt.Sprint(i))
		msg := textOf(t, ctx, "#kc-login-error")
		if i < lockoutAfter {
			assert.Equal(t, "Wrong name or password.", msg, "attempt %d", i)
		} else {
			assert.Contains(t, msg, "Too many sign-ins from here", "attempt %d locks", i)
		}
	}
	signIn(t, ctx, site, "en", officer, adminPassword)
	assert.Contains(t, textOf(t, ctx, "#kc-login-error"), "Too many sign-ins from here", "the right password, while locked")
	assert.Contains(t, eval[string](t, ctx, `location.pathname`), "/admin/login")
}

// A page on another site posts to the console in a signed-in browser: the
// post is refused and does nothing.
func TestAdminCrossSitePost(t *testing.T) {
	site := startConsole(t)
	ctx := adminTab(t)
	signIn(t, ctx, site, "en", officer, adminPassword)
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("chart-decisions-title")))

	evil := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s/admin/logout"><input name="csrf" value="guessed"></form>
			<script>document.getElementById("f").submit()</script>`, site.srv.URL())
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	evil.Listener = ln
	evil.Start()
	t.Cleanup(evil.Close)
	// localhost is another site than 127.0.0.1.
	port := ln.Addr().(*net.TCPAddr).Port
	do(t, ctx, chromedp.Navigate(fmt.Sprintf("http://localhost:%d/", port)))
	require.Eventually(t, func() bool {
		return strings.Contains(eval[string](t, ctx, `location.href`), "/admin/logout")
	}, 10*time.Second, 100*time.Millisecond, "the form was posted")
	assert.Contains(t, eval[string](t, ctx, `document.body.textContent`), "cross-site request refused")

	do(t, ctx, chromedp.Navigate(site.srv.URL()+"/admin/insights?lang=en"), chromedp.WaitVisible(chromedp.ID("chart-decisions-title")))
	assert.Equal(t, officer+" officer", textOf(t, ctx, `[data-testid="operator"]`), "still signed in: the post did nothing")
}

// TestAdminScreenshots writes the README's pictures of the console (go
// test ./e2e -run AdminScreenshots -screenshots, or make screenshots).
func TestAdminScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("run with -screenshots to write docs/screenshots/admin-*.png")
	}
	site := startConsole(t)
	for _, shot := range []struct {
		file, lang, path, wait string
	}{
		{"admin-insights.png", "en", "/admin/insights", "chart-purposes-title"},
		{"admin-subject.png", "zh-Hans", "/admin/subjects/" + site.seeded.Subjects["app-zh"], "kc-subject-title"},
	} {
		ctx := adminTab(t)
		do(t, ctx, chromedp.EmulateViewport(1280, 900))
		signIn(t, ctx, site, shot.lang, officer, adminPassword)
		do(t, ctx, chromedp.Navigate(site.srv.URL()+shot.path+"?lang="+shot.lang), chromedp.WaitVisible(chromedp.ID(shot.wait)))
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		require.NoError(t, err)
		writeShot(t, shot.file, png)
	}
}
