package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/consent"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/server"
	"github.com/kaiconn/consent/store/memstore"
)

// outboxPolicySHA is the policy hash the outbox test server accepts.
const outboxPolicySHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// outboxState is what testdata/outbox/page reports of the device's outbox.
type outboxState struct {
	Subject string
	Entries []struct {
		ID, State, PrevHash, Hash, Alg string
		Attempts                       int
	}
}

// outboxServer serves testdata/outbox/page (the real outbox package built
// for wasm, driven by the page's script) and the real receipt API on an
// in-memory store, counting the posts of each receipt that reach it.
type outboxServer struct {
	URL   string
	jwks  []byte
	store *memstore.Store
	mu    sync.Mutex
	posts map[string]int
	down  bool // the API drops every connection
}

func (s *outboxServer) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *outboxServer) isDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

func (s *outboxServer) postsOf(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts[id]
}

var (
	outboxWasmOnce sync.Once
	outboxWasmErr  error
)

func startOutboxServer(t *testing.T) *outboxServer {
	t.Helper()
	root, err := moduleRoot()
	require.NoError(t, err)
	page := filepath.Join(root, "testdata", "outbox", "page")
	wasm := filepath.Join(webDir, "outbox-page.wasm")
	outboxWasmOnce.Do(func() {
		cmd := exec.Command("go", "build", "-trimpath", "-o", wasm, "./testdata/outbox/page")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			outboxWasmErr = err
			t.Logf("%s", out)
		}
	})
	require.NoError(t, outboxWasmErr, "building testdata/outbox/page")

	cat, err := consent.LoadCatalogue(catalogues.FS, catalogues.Latest)
	require.NoError(t, err)
	keys, err := receipt.NewKeyring()
	require.NoError(t, err)
	v := receipt.NewValidator(
		func(version, lang string) (string, bool) { return outboxPolicySHA, version == cat.Version() },
		func(version, id string) bool {
			_, ok := cat.Purpose(consent.SurfaceFirstLaunch, consent.PurposeID(id))
			return ok && version == cat.Version()
		}, nil)
	s := &outboxServer{store: memstore.New(), jwks: keys.JWKS(), posts: map[string]int{}}
	apiHandler := api.New(api.Config{RateLimit: -1}, api.Deps{
		Store: s.store, Keys: keys, Validator: v,
		Catalogue: func(version string) (*consent.Catalogue, bool) { return cat, version == cat.Version() },
	})

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		if s.isDown() {
			// Drop the connection: to the page this is a network failure.
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			var env struct {
				Receipt struct{ ID string } `json:"receipt"`
			}
			_ = json.Unmarshal(body, &env)
			s.mu.Lock()
			s.posts[env.Receipt.ID]++
			s.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		apiHandler.ServeHTTP(w, r)
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, filepath.Join(page, "index.html")) })
	mux.HandleFunc("/load.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, filepath.Join(page, "load.js")) })
	mux.HandleFunc("/wasm_exec.js", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(webDir, "wasm_exec.js"))
	})
	mux.HandleFunc("/page.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm")
		http.ServeFile(w, r, wasm)
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

// setOffline cuts (or restores) the tab's network and tells the page, which
// then fires "offline" or "online".
func setOffline(t *testing.T, ctx context.Context, offline bool) {
	t.Helper()
	_, err := chromedp.Call(ctx, network.Enable, network.EnableParams{})
	require.NoError(t, err)
	rules := []*network.Conditions{}
	if offline {
		rules = append(rules, &network.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
	}
	_, err = chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules})
	require.NoError(t, err)
	_, err = chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
	require.NoError(t, err)
}

// await evaluates a promise-valued expression and returns its string value.
func await(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	require.NoError(t, err, "evaluating %s", expr)
	return v
}

func readState(t *testing.T, ctx context.Context) outboxState {
	t.Helper()
	raw := await(t, ctx, `outboxState()`)
	var st outboxState
	require.NoError(t, json.Unmarshal([]byte(raw), &st))
	return st
}

// waitState polls the page's outbox until ok holds; the outbox sends in the
// background, so there is no event to wait for.
func waitState(t *testing.T, ctx context.Context, what string, ok func(outboxState) bool) outboxState {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := readState(t, ctx)
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out waiting: "+what, "%+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func openOutboxPage(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(url))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.outboxReady === true || (window.outboxError && false)`))
	if err != nil {
		require.NoError(t, err, "outbox did not open: %s", eval[string](t, ctx, `String(window.outboxError)`))
	}
}

// TestOutboxOffline records a decision through the real wasm outbox while the
// network is cut, closes the page (an app restart), opens it again online and
// checks the receipt arrives exactly once; then records a second decision
// offline and checks the "online" event alone sends it, chained to the first.
func TestOutboxOffline(t *testing.T) {
	srv := startOutboxServer(t)

	tab1 := newTab(t)
	openOutboxPage(t, tab1, srv.URL+"/")
	setOffline(t, tab1, true)
	srv.setDown(true)
	first := uuid.NewString()
	got := await(t, tab1, `outboxRecord(["push"], "`+first+`", "`+outboxPolicySHA+`")`)
	require.Equal(t, first, got)
	st := waitState(t, tab1, "a failed attempt", func(st outboxState) bool {
		return len(st.Entries) == 1 && st.Entries[0].Attempts >= 1
	})
	assert.Equal(t, "pending", st.Entries[0].State)
	assert.Empty(t, st.Entries[0].PrevHash)
	assert.Contains(t, []string{receipt.AlgEdDSA, receipt.AlgES256}, st.Entries[0].Alg)
	assert.Zero(t, srv.postsOf(first), "nothing reached the server while offline")
	subject := st.Subject

	// The page goes away while offline (the app is closed), then comes
	// back once the network is restored: the load alone sends what was
	// queued. Chromium lifts the offline emulation as soon as a navigation
	// starts, while the old page still runs, so the server is down too.
	do(t, tab1, chromedp.Navigate("about:blank"))
	setOffline(t, tab1, false)
	srv.setDown(false)
	assert.Zero(t, srv.postsOf(first), "nothing reached the server while offline")
	tab2 := tab1
	openOutboxPage(t, tab2, srv.URL+"/")
	st = waitState(t, tab2, "the queued receipt acknowledged after a reload", func(st outboxState) bool {
		return len(st.Entries) == 1 && st.Entries[0].State == "acknowledged"
	})
	assert.Equal(t, subject, st.Subject, "the subject and device key survive a reload")
	assert.Equal(t, 1, srv.postsOf(first), "sent exactly once")

	setOffline(t, tab2, true)
	second := uuid.NewString()
	await(t, tab2, `outboxRecord([], "`+second+`", "`+outboxPolicySHA+`")`)
	waitState(t, tab2, "a failed attempt", func(st outboxState) bool {
		return len(st.Entries) == 2 && st.Entries[1].Attempts >= 1
	})
	setOffline(t, tab2, false)
	st = waitState(t, tab2, "the online event sends the second receipt", func(st outboxState) bool {
		return len(st.Entries) == 2 && st.Entries[1].State == "acknowledged"
	})
	assert.Equal(t, st.Entries[0].Hash, st.Entries[1].PrevHash, "the receipt made offline chains to the one before")
	assert.Equal(t, 1, srv.postsOf(second))
	assert.Equal(t, 1, srv.postsOf(first))

	// "Download my receipts" is what kaiconn-verify -chain accepts.
	download := await(t, tab2, `outboxDownload()`)
	var h receipt.History
	require.NoError(t, json.Unmarshal([]byte(download), &h))
	require.NoError(t, receipt.VerifyChain(h, srv.jwks))
	assert.Equal(t, subject, h.Subject)
	assert.Len(t, h.Receipts, 2)
}

// TestOutboxGate is the same journey through the product's own surface: the
// first-launch gate at /consent records the decision through the outbox.
func TestOutboxGate(t *testing.T) {
	t.Skip("the gate has no wasm since gate.js (issue 11): its receipts are server-attested, posted in the background (TestGateReceiptOnceOffline); this journey belongs on /settings/privacy")
	const token = "test-admin-token"
	srv := startServer(t, func(c *server.Config) { c.AdminToken = token })

	// receipts lists what the server stores, through the admin export.
	receipts := func(t *testing.T) []receipt.Countersigned {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL()+"/api/v1/export", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		var out []receipt.Countersigned
		dec := json.NewDecoder(res.Body)
		for dec.More() {
			var c receipt.Countersigned
			require.NoError(t, dec.Decode(&c))
			out = append(out, c)
		}
		return out
	}
	waitReceipt := func(t *testing.T, id string) receipt.Countersigned {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			for _, c := range receipts(t) {
				if c.ID == id {
					return c
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		require.FailNow(t, "receipt "+id+" never reached the server")
		return receipt.Countersigned{}
	}
	jwks := func(t *testing.T) []byte {
		res, err := http.Get(srv.URL() + "/.well-known/jwks.json")
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return b
	}

	t.Run("Online", func(t *testing.T) {
		ctx := hostTab(t, "android")
		openGate(t, ctx, srv, "", true)
		confirmAdult(t, ctx, true)
		do(t, ctx, chromedp.Click(chromedp.ID("kc-agree")), chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="agreed"]`)))
		msgs := messages(t, ctx)
		require.Len(t, msgs, 1)
		c := waitReceipt(t, msgs[0].ReceiptID)
		s, err := c.Verify(jwks(t))
		require.NoError(t, err, "countersigned by the server, verifiable offline")
		assert.Equal(t, receipt.AttestationDevice, s.Attestation, "signed by this browser's device key")
		assert.Equal(t, "first-launch", s.Receipt.Surface)
	})

	t.Run("OfflineThenReload", func(t *testing.T) {
		before := len(receipts(t))
		ctx := hostTab(t, "ios")
		openGate(t, ctx, srv, "", true)
		confirmAdult(t, ctx, true)
		setOffline(t, ctx, true)
		do(t, ctx, chromedp.Click(chromedp.ID("kc-disagree")), chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="declined"]`)))
		msgs := messages(t, ctx)
		require.Len(t, msgs, 1, "the host app hears of the decision offline too")
		id := msgs[0].ReceiptID
		for p, granted := range msgs[0].Purposes {
			assert.Equal(t, p == "basic", granted, p)
		}
		// Give the outbox time to try (and fail) while offline.
		time.Sleep(1500 * time.Millisecond)
		assert.Len(t, receipts(t), before, "nothing reached the server while offline")

		// The app is closed offline and opened again once the network is
		// back: loading the gate sends what was queued.
		do(t, ctx, chromedp.Navigate("about:blank"))
		setOffline(t, ctx, false)
		openGate(t, ctx, srv, "", true)
		c := waitReceipt(t, id)
		s, err := c.Verify(jwks(t))
		require.NoError(t, err)
		assert.Equal(t, "declined", s.Receipt.Decision)
		time.Sleep(1500 * time.Millisecond) // a duplicate would arrive now
		n := 0
		for _, r := range receipts(t) {
			if r.ID == id {
				n++
			}
		}
		assert.Equal(t, 1, n, "exactly once")
		assert.Len(t, receipts(t), before+1)
	})
}

// TestOutboxRecoversADivergedChain: the device queues a receipt offline
// while a decision of the same subject lands through a plain form post in
// the same browser; when the network returns, the server refuses the
// device's receipt (its chain moved), and the outbox reads the server's
// head with a nonce proof, signs the receipt again on it and is
// acknowledged. The chain the server then holds verifies.
func TestOutboxRecoversADivergedChain(t *testing.T) {
	t.Skip("built on the gate's wasm outbox, which gate.js replaced (issue 11); to be ported to /settings/privacy")
	srv := startServer(t)
	ctx := hostTab(t, "android")

	// An online decision: the wasm posts it with the page's ticket, the
	// server answers with the order and kc_sub, and the device adopts the
	// subject and signs the receipt, enrolling its key.
	openGate(t, ctx, srv, "", true)
	confirmAdult(t, ctx, true)
	do(t, ctx, chromedp.Click(chromedp.ID("kc-agree")), chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="agreed"]`)))
	first := messages(t, ctx)[0].ReceiptID
	// Another tab of the same browser (its cookies), on a page without the
	// wasm, reads what the server holds of this browser's subject.
	other := newTab(t)
	do(t, other, chromedp.Navigate(srv.URL()+"/healthz"))
	history := func() receipt.History {
		t.Helper()
		raw := await(t, other, `fetch('/settings/privacy/receipts.json').then(r => r.ok ? r.text() : '{"receipts":[]}')`)
		var h receipt.History
		require.NoError(t, json.Unmarshal([]byte(raw), &h))
		return h
	}
	waitChain := func(what string, ok func(receipt.History) bool) receipt.History {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			h := history()
			if ok(h) {
				return h
			}
			if time.Now().After(deadline) {
				require.FailNow(t, "timed out waiting: "+what, "%d receipts", len(h.Receipts))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitChain("the device's first receipt", func(h receipt.History) bool { return len(h.Receipts) == 1 })

	// Offline, the person declines on the gate: the device takes the
	// decision and queues its receipt.
	openGate(t, ctx, srv, "&open=1", true)
	setOffline(t, ctx, true)
	do(t, ctx, chromedp.Click(chromedp.ID("kc-disagree")), chromedp.WaitVisible(chromedp.CSS(`h1[data-decision="declined"]`)))
	msgs := messages(t, ctx)
	require.Len(t, msgs, 1)
	queued := msgs[0].ReceiptID
	require.NotEqual(t, first, queued)

	// Meanwhile, in the other tab, a settings form grants push: the
	// server attests it on the same subject, chained to the first receipt.
	status := await(t, other, `fetch('/settings/privacy', {method: 'POST', body: new URLSearchParams({lang: 'en', action: 'save', purpose: 'push'})}).then(r => String(r.status))`)
	require.Equal(t, "200", status, "the form post is recorded and redirected to the settings page")
	attested := waitChain("the form's receipt", func(h receipt.History) bool { return len(h.Receipts) == 2 })

	// The network returns: the outbox sends, is refused, rebuilds on the
	// server's head and is acknowledged.
	setOffline(t, ctx, false)
	h := waitChain("the queued receipt, rebuilt", func(h receipt.History) bool {
		return len(h.Receipts) == 3 && h.Receipts[2].ID == queued
	})
	jwks := get(t, srv.URL()+"/.well-known/jwks.json")
	require.NoError(t, receipt.VerifyChain(h, jwks), "one chain, countersigned throughout")
	assert.Equal(t, first, h.Receipts[0].ID)
	assert.Equal(t, attested.Receipts[1].ID, h.Receipts[1].ID)
	s, err := receipt.Decode(h.Receipts[2].Envelope)
	require.NoError(t, err)
	assert.Equal(t, receipt.AttestationDevice, s.Attestation)
	assert.Equal(t, h.Receipts[1].Hash, s.Receipt.PrevHash, "signed again on the server's head")
	for _, p := range s.Receipt.Purposes {
		if p.ID == "push" {
			assert.Equal(t, receipt.StateWithdrawn, p.State, "push, given by the form, is withdrawn by the decline")
		}
	}
}
