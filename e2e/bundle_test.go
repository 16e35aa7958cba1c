package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/bundle"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/server"
)

// appAssets builds the app bundle for the consent server at origin,
// through the Go API as make bundle does (so make test builds it), and
// serves it from a second origin, which stands for the app's own assets
// (Android's WebViewAssetLoader, an iOS URL scheme handler).
func appAssets(t *testing.T, origin string) (*httptest.Server, *bundle.Manifest) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "app-bundle")
	m, err := bundle.Build(t.Context(), bundle.Options{Origin: origin, Out: out, WebDir: webDir})
	require.NoError(t, err)
	assets := httptest.NewServer(http.FileServer(http.Dir(out)))
	t.Cleanup(assets.Close)
	return assets, m
}

// freePort reserves a loopback address for a consent server that starts
// later in the test: the bundle is built for it, and its pages try it,
// before it listens.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// logWorkers adds to log every request the tab's workers make too: the
// Network domain of a page does not see a dedicated worker's requests
// (boot.js's engine fetches the wasm there), the Fetch domain does. Each
// request goes on unchanged.
func logWorkers(t *testing.T, ctx context.Context, log *requestLog) {
	t.Helper()
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			log.mu.Lock()
			log.urls = append(log.urls, e.Request.URL)
			log.mu.Unlock()
			go chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
		}
	}))
	do(t, ctx, call(fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*", RequestStage: fetch.RequestStageRequest}}}))
}

// hosts is every origin (scheme://host:port) the tab asked anything of.
func (l *requestLog) origins() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, raw := range l.urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue // data: and the like load nothing from anywhere
		}
		o := u.Scheme + "://" + u.Host
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out
}

// TestBundleOffline is issue 20's "done when": the bundle, served from the
// app's assets, with the consent server not running. First launch: Agree
// and Disagree each send their bridge message at the tap; settings load
// and the wasm comes from the bundle; nothing is asked of any origin but
// the bundle's and the consent server's. Then the server starts: the
// queued receipts are stored once each, chained under the device's
// subject, and verify against the server's keys.
func TestBundleOffline(t *testing.T) {
	addr := freePort(t)
	origin := "http://" + addr
	assets, m := appAssets(t, origin)
	ctx, log := freshTab(t)
	logWorkers(t, ctx, log)
	do(t, ctx, call(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: hosts["android"]}))
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			for _, a := range e.Args {
				t.Logf("console.%s: %s", e.Type, a.Value)
			}
		case *runtime.EventExceptionThrown:
			t.Logf("exception: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception)
		}
	}))
	do(t, ctx, call(runtime.Enable, cdp.Empty{}))

	open := func(entry, query string) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(assets.URL+"/"+m.Entries[entry]+query), chromedp.WaitVisible(chromedp.ID("main")))
	}
	var decided []bridgeMessage
	for _, tc := range []struct{ button, decision string }{
		{"kc-agree", "agreed"},
		{"kc-disagree", "declined"},
	} {
		open("gate", "?lang=en")
		assert.True(t, strings.HasPrefix(eval[string](t, ctx, `location.href`), assets.URL+"/consent/en.html?lang=en"), "the entry opens the page of its language")
		waitFor(t, ctx, `document.documentElement.getAttribute("data-gate") === "ready"`)
		if tc.button == "kc-agree" {
			do(t, ctx, chromedp.Click(chromedp.ID("kc-gate-choices-summary")), chromedp.Click(chromedp.ID("kc-p-push")), chromedp.Click(chromedp.ID("kc-adult")))
		}
		do(t, ctx, chromedp.Click(chromedp.ID(tc.button)))
		got := messages(t, ctx)
		require.Len(t, got, 1, "one message at the tap, with the server down")
		msg := got[0]
		assert.Equal(t, tc.decision, msg.Decision)
		assert.Equal(t, "2022-10", msg.PolicyVersion)
		assert.Equal(t, tc.decision == "agreed", msg.Purposes["push"])
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, msg.ReceiptID, "an id made on the device")
		assert.True(t, eval[bool](t, ctx, `document.querySelector('h1[data-decision="`+tc.decision+`"]').checkVisibility()`))
		waitFor(t, ctx, `document.documentElement.getAttribute("data-bundle-receipt") === "queued"`)
		decided = append(decided, msg)
	}
	assert.NotEqual(t, decided[0].ReceiptID, decided[1].ReceiptID)

	// Settings: the host hands its state over; the page and the wasm come
	// from the bundle.
	state, err := json.Marshal(decided[1])
	require.NoError(t, err)
	open("settings", "?lang=en&state="+base64.RawURLEncoding.EncodeToString(state))
	do(t, ctx, chromedp.WaitVisible(chromedp.ID("kc-settings-form")))
	do(t, ctx, waitWasm()) // the wasm started, offline
	var wasm []string
	for _, u := range log.wasm() {
		if strings.HasSuffix(u, ".wasm") {
			wasm = append(wasm, u)
		}
	}
	require.NotEmpty(t, wasm)
	for _, u := range wasm {
		assert.True(t, strings.HasPrefix(u, assets.URL+"/"), "the wasm is the bundle's: %s", u)
	}
	for _, o := range log.origins() {
		assert.Contains(t, []string{assets.URL, origin}, o, "a request to another origin")
	}

	// The next start of the gate, still offline, tries and keeps both.
	open("gate", "?lang=en")
	waitFor(t, ctx, `document.documentElement.getAttribute("data-bundle-receipt") === "queued"`)
	assert.Equal(t, 2, eval[int](t, ctx, `JSON.parse(localStorage.getItem("kc_bundle_queue")).length`))

	// The server starts; the "online" event sends what waited.
	srv := startServer(t, func(c *server.Config) {
		c.Addr = addr
		c.AllowedOrigins = []string{assets.URL}
		c.AdminToken = "bundle-e2e-export-token"
	})
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new Event("online"))`))
	for _, msg := range decided {
		waitForStatus(t, srv.URL(), msg.ReceiptID)
	}
	waitFor(t, ctx, `document.documentElement.getAttribute("data-bundle-receipt") === "signed"`)
	assert.Equal(t, "ok: 0", pendingSettled(t, ctx))

	// Stored once each, on one chain, and it verifies.
	records := export(t, srv.URL(), "bundle-e2e-export-token")
	require.Len(t, records, 2, "each decision stored once")
	assert.ElementsMatch(t, []string{decided[0].ReceiptID, decided[1].ReceiptID}, []string{records[0].ID, records[1].ID})
	download := await(t, ctx, `kaiconnOutbox.download()`)
	var h receipt.History
	require.NoError(t, json.Unmarshal([]byte(download), &h))
	require.Len(t, h.Receipts, 2, "one subject, the device's, holds both")
	assert.Equal(t, decided[0].ReceiptID, h.Receipts[0].ID)
	assert.Equal(t, decided[1].ReceiptID, h.Receipts[1].ID)
	// Each receipt links to the one before, and both carry the server's
	// countersignature: what kaiconn-verify -chain checks.
	assert.NoError(t, receipt.VerifyChain(h, jwks(t, srv.URL())))
	for _, o := range log.origins() {
		assert.Contains(t, []string{assets.URL, origin}, o, "a request to another origin")
	}
}

// pendingSettled waits for the outbox to have sent everything.
func pendingSettled(t *testing.T, ctx context.Context) string {
	t.Helper()
	waitFor(t, ctx, `window.kaiconnOutbox !== undefined`)
	for range 200 {
		if got := settled(t, ctx, `kaiconnOutbox.pending()`); got == "ok: 0" {
			return got
		}
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`new Promise(r => setTimeout(r, 50))`, chromedp.EvalAwaitPromise))
	}
	return settled(t, ctx, `kaiconnOutbox.pending()`)
}

// waitForStatus waits until the server knows the receipt.
func waitForStatus(t *testing.T, base, id string) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/api/v1/receipts/" + id)
		require.NoError(t, err)
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("receipt %s never stored", id)
}

// export reads every stored receipt with the operator's token.
func export(t *testing.T, base, token string) []receipt.Countersigned {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+"/api/v1/export", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out []receipt.Countersigned
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var r receipt.Countersigned
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		out = append(out, r)
	}
	return out
}

func jwks(t *testing.T, base string) []byte {
	t.Helper()
	res, err := http.Get(base + "/.well-known/jwks.json")
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return b
}

// TestBundleEntries opens the manifest's entries as a host does: each
// index.html takes the reader to the page of the language asked for,
// passing the permission's ?p=, ?state= and the fragment on.
func TestBundleEntries(t *testing.T) {
	assets, m := appAssets(t, "http://127.0.0.1:9") // no server needed
	ctx, _ := freshTab(t)
	for _, tc := range []struct{ name, entry, query, want string }{
		{"Gate", "gate", "?lang=zh-Hans&state=e30", "/consent/zh-Hans.html?lang=zh-Hans&state=e30"},
		{"NoLang", "policy", "", "/privacy/en.html?lang=en"},
		{"UnknownLang", "shared", "?lang=fr", "/shared/en.html?lang=en"},
		{"Permission", "permission", "?p=s2-3-perms-1&lang=en", "/permission/s2-3-perms-1/en.html?p=s2-3-perms-1&lang=en"},
		{"Rights", "rights", "?lang=en", "/settings/en.html?lang=en#kc-rights"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			entry, fragment, _ := strings.Cut(m.Entries[tc.entry], "#")
			target := assets.URL + "/" + entry + tc.query
			if fragment != "" {
				target += "#" + fragment
			}
			do(t, ctx, chromedp.Navigate(target), chromedp.WaitVisible(chromedp.ID("main")))
			got := eval[string](t, ctx, `location.pathname + location.search + location.hash`)
			assert.Equal(t, tc.want, got)
		})
	}
}
