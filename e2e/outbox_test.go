package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/memstore"
	"github.com/kaiconn/consent/web/pipeline"
)

// outboxPolicySHA is the policy hash the outbox test server accepts.
const outboxPolicySHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// receiptsPath is where outbox.js posts receipts.
const receiptsPath = "/api/v1/receipts"

// deviceEntry is a receipt as outbox.js keeps it in IndexedDB (the JSON of
// a row of the "entries" store; docs/outbox.md).
type deviceEntry struct {
	ID, Hash, State    string
	Envelope           json.RawMessage
	Attempts, Rebuilds int
	LastError          string
	RejectMessage      string
}

// Receipt states of a device entry.
const (
	statePending      = "pending"
	stateAcknowledged = "acknowledged"
	stateRejected     = "rejected"
)

// outboxState is the device's outbox: its subject and its entries.
type outboxState struct {
	Subject string
	Entries []deviceEntry
}

// prevHash is the prevHash of e's receipt; alg the algorithm of its key.
func (e deviceEntry) prevHash(t *testing.T) string { return decode(t, e.Envelope).Receipt.PrevHash }
func (e deviceEntry) alg(t *testing.T) string      { return decode(t, e.Envelope).Device.Alg }

// outboxServer serves testdata/outbox/page (which loads the real
// web/static/outbox.js) and the real receipt API on an in-memory store,
// counting the posts of each receipt that reach it.
type outboxServer struct {
	URL   string
	jwks  []byte
	store *memstore.Store
	mu    sync.Mutex
	posts map[string]int
	down  bool // the API drops every connection
	// busy, when set, is the status the API answers every post with, with
	// Retry-After: 1, as an overloaded server does.
	busy int
	// moved makes the API refuse every post as not extending its subject's
	// chain, and answer each read of the head with a new head: a chain that
	// keeps moving.
	moved bool
	// headDown drops every read of a subject's head.
	headDown bool
	heads    int // reads of a head that reached the server
}

func (s *outboxServer) set(f func(s *outboxServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *outboxServer) headsRead() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.heads
}

func (s *outboxServer) setBusy(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.busy = status
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

func startOutboxServer(t *testing.T) *outboxServer {
	t.Helper()
	root, err := moduleRoot()
	require.NoError(t, err)
	page := filepath.Join(root, "testdata", "outbox", "page")

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
		if subject, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/subjects/"), "/head"); ok && r.Method == http.MethodGet {
			s.mu.Lock()
			s.heads++
			moved, headDown := s.moved, s.headDown
			s.mu.Unlock()
			if headDown {
				if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
					conn.Close()
				}
				return
			}
			if moved {
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string]any{"subject": subject, "hash": strings.ReplaceAll(uuid.NewString()+uuid.NewString(), "-", ""),
					"surface": string(consent.SurfaceFirstLaunch), "states": map[string]string{}})
				return
			}
		}
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			var env struct {
				Receipt struct{ ID string } `json:"receipt"`
			}
			_ = json.Unmarshal(body, &env)
			s.mu.Lock()
			s.posts[env.Receipt.ID]++
			busy, moved := s.busy, s.moved
			s.mu.Unlock()
			if moved {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnprocessableEntity)
				io.WriteString(w, `{"error":{"code":"unprocessable","message":"receipt.prevHash: not the head of this subject's chain for this key"}}`)
				return
			}
			if busy != 0 {
				w.Header().Set("Retry-After", "1")
				http.Error(w, `{"error":{"code":"unavailable","message":"try again later"}}`, busy)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		apiHandler.ServeHTTP(w, r)
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, filepath.Join(page, "index.html")) })
	// The script as the server builds it: joined with its parts. Read at
	// each request from the work tree, unminified, so a failing test's
	// stack names the lines of the source.
	mux.HandleFunc("/outbox.js", func(w http.ResponseWriter, r *http.Request) {
		js, err := pipeline.Join(os.DirFS(filepath.Join(root, "web", "static")), "outbox.js")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Write(js)
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

// recordCall is the page's call that records an agreement to ticked
// under receiptID by subject, after prevHash: the order is made here, on
// the host, as the server makes it for the settings page.
func recordCall(t *testing.T, ticked []consent.PurposeID, receiptID, subject, prevHash string) string {
	t.Helper()
	return "kaiconnOutbox.record(" + orderJSON(t, ticked, receiptID, subject, prevHash, outboxPolicySHA) + ")"
}

// orderJSON is the order of an agreement to ticked on the first launch,
// with the policy hash sha.
func orderJSON(t *testing.T, ticked []consent.PurposeID, receiptID, subject, prevHash, sha string) string {
	t.Helper()
	cat, err := consent.LoadCatalogue(catalogues.FS, catalogues.Latest)
	require.NoError(t, err)
	d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, ticked, consent.LangEn, time.Now())
	require.NoError(t, err)
	o, err := consentreceipt.NewOrder(d, consentreceipt.Meta{ReceiptID: receiptID, PolicySHA256: sha,
		Purposes: consentreceipt.Purposes(cat, consent.SurfaceFirstLaunch, consent.LangEn)}, subject, prevHash)
	require.NoError(t, err)
	oj, err := json.Marshal(o)
	require.NoError(t, err)
	return string(oj)
}

// settled evaluates a promise-valued expression and returns "ok: <value>"
// or "error: <message>".
func settled(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	return await(t, ctx, `(`+expr+`).then(v => "ok: " + v, e => "error: " + e.message)`)
}

// await evaluates a promise-valued expression and returns its string value.
func await(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	require.NoError(t, err, "evaluating %s", expr)
	return v
}

// readState reads the device's outbox from its IndexedDB database.
func readState(t *testing.T, ctx context.Context) outboxState {
	t.Helper()
	raw := await(t, ctx, `(async () => {
		const db = await new Promise((ok, fail) => {
			const r = indexedDB.open("kaiconn-outbox");
			r.onsuccess = () => ok(r.result);
			r.onerror = () => fail(r.error);
		});
		try {
			const get = (store, q) => new Promise((ok, fail) => {
				const r = db.transaction(store).objectStore(store)[q[0]](...q.slice(1));
				r.onsuccess = () => ok(r.result);
				r.onerror = () => fail(r.error);
			});
			const dev = JSON.parse((await get("device", ["get", "device"])) || "{}");
			const rows = (await get("entries", ["getAll"])).map(r => JSON.parse(r.json)).sort((a, b) => a.seq - b.seq);
			return JSON.stringify({subject: dev.subject || "", entries: rows});
		} finally {
			db.close();
		}
	})()`)
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
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`window.kaiconnOutbox !== undefined && window.kaiconnOutbox.supported()`))
	require.NoError(t, err, "outbox.js did not load")
}

// TestOutboxOffline records a decision through the real outbox.js while the
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
	subject := receipt.NewSubject()
	got := await(t, tab1, recordCall(t, []consent.PurposeID{"push"}, first, subject, ""))
	require.Equal(t, first, got)
	st := waitState(t, tab1, "a failed attempt", func(st outboxState) bool {
		return len(st.Entries) == 1 && st.Entries[0].Attempts >= 1
	})
	assert.Equal(t, "pending", st.Entries[0].State)
	assert.Empty(t, st.Entries[0].prevHash(t))
	assert.Contains(t, []string{receipt.AlgEdDSA, receipt.AlgES256}, st.Entries[0].alg(t))
	assert.Zero(t, srv.postsOf(first), "nothing reached the server while offline")
	assert.Equal(t, subject, st.Subject, "the device takes the order's subject")

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
	await(t, tab2, recordCall(t, nil, second, subject, st.Entries[0].Hash))
	waitState(t, tab2, "a failed attempt", func(st outboxState) bool {
		return len(st.Entries) == 2 && st.Entries[1].Attempts >= 1
	})
	setOffline(t, tab2, false)
	st = waitState(t, tab2, "the online event sends the second receipt", func(st outboxState) bool {
		return len(st.Entries) == 2 && st.Entries[1].State == "acknowledged"
	})
	assert.Equal(t, st.Entries[0].Hash, st.Entries[1].prevHash(t), "the receipt made offline chains to the one before")
	assert.Zero(t, st.Entries[1].Rebuilds, "signed once, as ordered")
	assert.Equal(t, 1, srv.postsOf(second))
	assert.Equal(t, 1, srv.postsOf(first))

	// "Download my receipts" is what kaiconn-verify -chain accepts.
	download := await(t, tab2, `kaiconnOutbox.download()`)
	var h receipt.History
	require.NoError(t, json.Unmarshal([]byte(download), &h))
	require.NoError(t, receipt.VerifyChain(h, srv.jwks))
	assert.Equal(t, subject, h.Subject)
	assert.Len(t, h.Receipts, 2)
}

// receiptWire stands between a tab and the receipt API's POST
// /api/v1/receipts. It counts, per receipt id, the posts the server
// answered, and while cut it fails them as a dropped connection would. The
// settings page cannot decide offline: the server takes the decision and
// answers with what the device is to sign. Cutting this one request after
// that answer is how a device-signed receipt comes to wait in the outbox.
type receiptWire struct {
	ctx      context.Context
	mu       sync.Mutex
	cut      bool
	ids      map[network.RequestID]string // the receipt each post carried
	answered map[string]int               // posts the server answered, by receipt id
	failed   map[string]int               // posts failed while cut, by receipt id
}

func wireReceipts(t *testing.T, ctx context.Context) *receiptWire {
	t.Helper()
	w := &receiptWire{ctx: ctx, ids: map[network.RequestID]string{}, answered: map[string]int{}, failed: map[string]int{}}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *fetch.EventRequestPaused:
			cut := w.paused(e)
			// Commands cannot run inside the listener.
			go func() {
				if cut {
					_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID, ErrorReason: network.ErrorReasonInternetDisconnected})
					return
				}
				_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
			}()
		case *network.EventResponseReceived:
			w.mu.Lock()
			if id, ok := w.ids[e.RequestID]; ok {
				w.answered[id]++
			}
			w.mu.Unlock()
		}
	}))
	do(t, ctx,
		call(network.Enable, network.EnableParams{}),
		call(fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*" + receiptsPath, RequestStage: fetch.RequestStageRequest}}}))
	return w
}

// paused notes the receipt a paused post carries and tells whether to fail
// it.
func (w *receiptWire) paused(e *fetch.EventRequestPaused) (cut bool) {
	if e.Request.Method != http.MethodPost {
		return false
	}
	var body []byte
	for _, p := range e.Request.PostDataEntries {
		body = append(body, p.Bytes...)
	}
	var env struct {
		Receipt struct {
			ID string `json:"id"`
		} `json:"receipt"`
	}
	_ = json.Unmarshal(body, &env)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cut {
		w.failed[env.Receipt.ID]++
		return true
	}
	w.ids[e.NetworkID] = env.Receipt.ID
	return false
}

func (w *receiptWire) setCut(cut bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cut = cut
}

func (w *receiptWire) answeredFor(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.answered[id]
}

func (w *receiptWire) failedFor(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.failed[id]
}

// deviceEntries reads the receipts the page's outbox keeps, from its
// IndexedDB database (web/static/outbox.js), without creating it.
func deviceEntries(t *testing.T, ctx context.Context) []deviceEntry {
	t.Helper()
	raw := await(t, ctx, `(async () => {
		const dbs = await indexedDB.databases();
		if (!dbs.some(d => d.name === "kaiconn-outbox")) return "[]";
		const db = await new Promise((ok, fail) => {
			const r = indexedDB.open("kaiconn-outbox");
			r.onsuccess = () => ok(r.result);
			r.onerror = () => fail(r.error);
		});
		try {
			const rows = await new Promise((ok, fail) => {
				const q = db.transaction("entries").objectStore("entries").getAll();
				q.onsuccess = () => ok(q.result);
				q.onerror = () => fail(q.error);
			});
			return "[" + rows.map(r => r.json).join(",") + "]";
		} finally {
			db.close();
		}
	})()`)
	var out []deviceEntry
	require.NoError(t, json.Unmarshal([]byte(raw), &out), raw)
	return out
}

// waitEntry polls the device's outbox until its receipt id satisfies ok:
// the outbox signs and sends in the background, with no event to wait for.
func waitEntry(t *testing.T, ctx context.Context, id, what string, ok func(deviceEntry) bool) deviceEntry {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var last *deviceEntry
		for _, e := range deviceEntries(t, ctx) {
			if e.ID == id {
				last = &e
				if ok(e) {
					return e
				}
			}
		}
		if time.Now().After(deadline) {
			if last == nil {
				require.FailNow(t, "timed out waiting: "+what, "receipt %s is not in the outbox", id)
			}
			require.FailNow(t, "timed out waiting: "+what, "receipt %s in the outbox: %s after %d attempts and %d rebuilds; last error %q; rejected: %q",
				id, last.State, last.Attempts, last.Rebuilds, last.LastError, last.RejectMessage)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// serverHistory is the chain the server holds of the browser's subject
// (/settings/privacy/receipts.json, which kc_sub unlocks), read from a page
// of ctx on the server's origin.
func serverHistory(t *testing.T, ctx context.Context) receipt.History {
	t.Helper()
	raw := await(t, ctx, `fetch('/settings/privacy/receipts.json').then(r => r.ok ? r.text() : '{"receipts":[]}')`)
	var h receipt.History
	require.NoError(t, json.Unmarshal([]byte(raw), &h), raw)
	return h
}

func waitHistory(t *testing.T, ctx context.Context, what string, ok func(receipt.History) bool) receipt.History {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		h := serverHistory(t, ctx)
		if ok(h) {
			return h
		}
		if time.Now().After(deadline) {
			require.FailNow(t, "timed out waiting: "+what, "%d receipts", len(h.Receipts))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// states are the states of a receipt's purposes, by purpose id.
func states(s *receipt.Signed) map[string]string {
	out := map[string]string{}
	for _, p := range s.Receipt.Purposes {
		out[p.ID] = p.State
	}
	return out
}

// decode decodes a receipt's envelope (the device's or the server's copy).
func decode(t *testing.T, envelope []byte) *receipt.Signed {
	t.Helper()
	s, err := receipt.Decode(envelope)
	require.NoError(t, err)
	return s
}

// saveSettings flips the switches of ids on the wasm-enhanced settings
// page, presses button and returns the message the host app got, once the
// page shows the change saved as kind.
func saveSettings(t *testing.T, ctx context.Context, button, kind string, ids ...string) bridgeMessage {
	t.Helper()
	before := len(messages(t, ctx))
	for _, id := range ids {
		do(t, ctx, chromedp.Click(chromedp.ID("kc-p-"+id)))
	}
	do(t, ctx, chromedp.Click(chromedp.ID(button)), chromedp.WaitVisible(chromedp.CSS(`#kc-saved[data-kind="`+kind+`"]`)))
	msgs := messages(t, ctx)
	require.Len(t, msgs, before+1, "the wasm hands the decision to the host app")
	return msgs[before]
}

// TestOutboxSettings (formerly TestOutboxGate, which ran on the gate's
// wasm before gate.js) is the outbox's journey through the product's own
// surface: a first decision on the gate (gate.js, server-attested, which
// gives the browser its kc_sub), then a change on /settings/privacy, where
// the wasm has this browser's device key sign the receipt and the outbox
// send it.
func TestOutboxSettings(t *testing.T) {
	t.Run("Online", func(t *testing.T) {
		srv := startServer(t) // a fresh origin: a fresh device outbox
		ctx := hostTab(t, "android")
		wire := wireReceipts(t, ctx)
		agreeTo(t, ctx, srv, "push")
		openSettings(t, ctx, srv, "", true)
		gate := waitHistory(t, ctx, "the gate's receipt", func(h receipt.History) bool { return len(h.Receipts) == 1 })
		assert.Equal(t, receipt.AttestationServer, decode(t, gate.Receipts[0].Envelope).Attestation, "gate.js's receipts are server-attested")

		msg := saveSettings(t, ctx, "kc-save", "updated", "location")
		assert.Equal(t, appPurposes("push", "location"), msg.Purposes)
		e := waitEntry(t, ctx, msg.ReceiptID, "the device's receipt acknowledged", func(e deviceEntry) bool { return e.State == stateAcknowledged })
		assert.Equal(t, gate.Receipts[0].Hash, decode(t, e.Envelope).Receipt.PrevHash, "the device chains to the server's head")

		h := serverHistory(t, ctx)
		require.NoError(t, receipt.VerifyChain(h, get(t, srv.URL()+"/.well-known/jwks.json")), "one chain, countersigned throughout")
		require.Len(t, h.Receipts, 2)
		assert.Equal(t, msg.ReceiptID, h.Receipts[1].ID)
		s := decode(t, h.Receipts[1].Envelope)
		assert.Equal(t, receipt.AttestationDevice, s.Attestation, "signed by this browser's device key")
		assert.Equal(t, "settings", s.Receipt.Surface)
		assert.Equal(t, "updated", s.Receipt.Decision)
		assert.Equal(t, receipt.StateGiven, states(s)["location"])
		assert.Equal(t, receipt.StateGiven, states(s)["push"])
		assert.Equal(t, 1, wire.answeredFor(msg.ReceiptID), "sent exactly once")

		// "Download this device's receipts": the wasm asks outbox.js for the
		// receipts this device signed, countersigned, and offers them as a
		// file. The gate's receipt before them is the server's to give.
		b, err := os.ReadFile(download(t, ctx, "#kc-download-device"))
		require.NoError(t, err)
		var device receipt.History
		require.NoError(t, json.Unmarshal(b, &device), "%s", b)
		assert.Equal(t, h.Subject, device.Subject, "the browser's subject")
		require.Len(t, device.Receipts, 1, "the one receipt this device signed")
		assert.Equal(t, h.Receipts[1].ID, device.Receipts[0].ID)
		assert.Equal(t, h.Receipts[1].Hash, device.Receipts[0].Hash)
		signed, err := device.Receipts[0].Verify(get(t, srv.URL()+"/.well-known/jwks.json"))
		require.NoError(t, err, "countersigned by the server")
		assert.Equal(t, gate.Receipts[0].Hash, signed.Receipt.PrevHash)
	})

	t.Run("OfflineThenReload", func(t *testing.T) {
		srv := startServer(t)
		ctx := hostTab(t, "ios")
		wire := wireReceipts(t, ctx)
		agreeTo(t, ctx, srv, "push", "location")
		openSettings(t, ctx, srv, "", true)
		gate := waitHistory(t, ctx, "the gate's receipt", func(h receipt.History) bool { return len(h.Receipts) == 1 })

		// The server takes the withdrawal and answers; the device signs
		// it; its post is lost: the receipt waits in the outbox.
		wire.setCut(true)
		msg := saveSettings(t, ctx, "kc-withdraw-all", "withdrawn")
		assert.Equal(t, "withdrawn", msg.Decision)
		for p, granted := range msg.Purposes {
			assert.Equal(t, p == "basic", granted, p)
		}
		id := msg.ReceiptID
		e := waitEntry(t, ctx, id, "a failed attempt", func(e deviceEntry) bool { return e.Attempts >= 1 })
		assert.Equal(t, statePending, e.State)
		assert.NotEmpty(t, e.LastError)
		assert.GreaterOrEqual(t, wire.failedFor(id), 1)
		assert.Zero(t, wire.answeredFor(id), "nothing reached the server")
		assert.Equal(t, http.StatusNotFound, receiptKnown(t, srv.URL(), id))

		// The app is closed offline and opened again once the network is
		// back: loading the settings page sends what was queued.
		setOffline(t, ctx, true)
		do(t, ctx, chromedp.Navigate("about:blank"))
		setOffline(t, ctx, false)
		wire.setCut(false)
		openSettings(t, ctx, srv, "", true)
		waitEntry(t, ctx, id, "the queued receipt acknowledged after a reload", func(e deviceEntry) bool { return e.State == stateAcknowledged })

		h := serverHistory(t, ctx)
		require.NoError(t, receipt.VerifyChain(h, get(t, srv.URL()+"/.well-known/jwks.json")))
		require.Len(t, h.Receipts, 2, "the gate's receipt and the withdrawal, once")
		assert.Equal(t, id, h.Receipts[1].ID)
		s := decode(t, h.Receipts[1].Envelope)
		assert.Equal(t, receipt.AttestationDevice, s.Attestation)
		assert.Equal(t, gate.Receipts[0].Hash, s.Receipt.PrevHash)
		assert.Equal(t, "withdrawn", s.Receipt.Decision)
		for p, state := range states(s) {
			switch p {
			case "basic":
				assert.Equal(t, receipt.StateNecessary, state, p)
			case "push", "location":
				assert.Equal(t, receipt.StateWithdrawn, state, "%s, given on the gate, is withdrawn", p)
			default:
				assert.Equal(t, receipt.StateRefused, state, p)
			}
		}
		assert.Equal(t, 1, wire.answeredFor(id), "sent exactly once")
		assert.Empty(t, messages(t, ctx), "the message was the decision's, not the flush's")
	})
}

// TestOutboxRecoversADivergedChain: the device queues a receipt it signed
// on the settings page while a decision of the same subject lands through
// a plain form post in the same browser; when the network returns, the
// server refuses the device's receipt (its chain moved), and the outbox
// reads the server's head with a nonce proof, signs the receipt again on
// it and is acknowledged. The chain the server then holds verifies.
func TestOutboxRecoversADivergedChain(t *testing.T) {
	srv := startServer(t)
	ctx := hostTab(t, "android")
	wire := wireReceipts(t, ctx)

	// The first launch: gate.js records it, server-attested, and the
	// browser gets its kc_sub. Then a change in settings: the device
	// adopts the subject and signs the receipt, enrolling its key.
	agreeTo(t, ctx, srv)
	openSettings(t, ctx, srv, "", true)
	first := saveSettings(t, ctx, "kc-save", "updated", "location").ReceiptID
	waitEntry(t, ctx, first, "the device's first receipt acknowledged", func(e deviceEntry) bool { return e.State == stateAcknowledged })
	// Another tab of the same browser (its cookies), on a page without the
	// wasm, reads what the server holds of this browser's subject.
	other := newTab(t)
	do(t, other, chromedp.Navigate(srv.URL()+"/healthz"))
	enrolled := waitHistory(t, other, "the device's first receipt", func(h receipt.History) bool { return len(h.Receipts) == 2 })
	require.Equal(t, first, enrolled.Receipts[1].ID)

	// The person withdraws everything; the server answers, the device
	// signs the receipt, and then the network goes: it waits in the outbox.
	wire.setCut(true)
	queued := saveSettings(t, ctx, "kc-withdraw-all", "withdrawn").ReceiptID
	waitEntry(t, ctx, queued, "a failed attempt", func(e deviceEntry) bool { return e.Attempts >= 1 })
	setOffline(t, ctx, true)
	wire.setCut(false) // offline now: the emulation fails the posts

	// Meanwhile, in the other tab, a settings form grants push: the
	// server attests it on the same subject, chained to the device's
	// first receipt.
	status := await(t, other, `fetch('/settings/privacy', {method: 'POST', body: new URLSearchParams({lang: 'en', action: 'save', purpose: 'push'})}).then(r => String(r.status))`)
	require.Equal(t, "200", status, "the form post is recorded and redirected to the settings page")
	attested := waitHistory(t, other, "the form's receipt", func(h receipt.History) bool { return len(h.Receipts) == 3 })
	require.Equal(t, receipt.AttestationServer, decode(t, attested.Receipts[2].Envelope).Attestation)
	assert.Equal(t, receipt.StateGiven, states(decode(t, attested.Receipts[2].Envelope))["push"])
	assert.Zero(t, wire.answeredFor(queued), "nothing of the device's reached the server while offline")

	// The network returns: the outbox sends, is refused, rebuilds on the
	// server's head and is acknowledged.
	setOffline(t, ctx, false)
	e := waitEntry(t, ctx, queued, "the queued receipt, rebuilt and acknowledged", func(e deviceEntry) bool { return e.State == stateAcknowledged })
	assert.Equal(t, 1, e.Rebuilds, "signed again once")
	assert.Equal(t, 2, wire.answeredFor(queued), "refused once, then acknowledged")
	h := waitHistory(t, other, "the queued receipt, rebuilt", func(h receipt.History) bool {
		return len(h.Receipts) == 4 && h.Receipts[3].ID == queued
	})
	require.NoError(t, receipt.VerifyChain(h, get(t, srv.URL()+"/.well-known/jwks.json")), "one chain, countersigned throughout")
	assert.Equal(t, first, h.Receipts[1].ID)
	assert.Equal(t, attested.Receipts[2].ID, h.Receipts[2].ID)
	s := decode(t, h.Receipts[3].Envelope)
	assert.Equal(t, receipt.AttestationDevice, s.Attestation)
	assert.Equal(t, h.Receipts[2].Hash, s.Receipt.PrevHash, "signed again on the server's head")
	assert.Equal(t, "withdrawn", s.Receipt.Decision)
	assert.Equal(t, receipt.StateWithdrawn, states(s)["push"], "push, given by the form, is withdrawn by the withdrawal")
	// Rebuilt by outbox.js, the required processing stays necessary as the
	// server's order had it: a refusal there would be a receipt the
	// server refuses, a "given" a consent nobody gave.
	for p, state := range states(s) {
		assert.Equal(t, p == "basic", state == receipt.StateNecessary, "%s is %s", p, state)
		assert.NotEqual(t, receipt.StateGiven, state, p)
	}
}

// outboxExists tells whether the page's origin has an outbox database.
func outboxExists(t *testing.T, ctx context.Context) bool {
	t.Helper()
	return await(t, ctx, `indexedDB.databases().then(l => String(l.some(d => d.name === "kaiconn-outbox")))`) == "true"
}

// TestOutboxScript holds outbox.js to the rules of docs/outbox.md, against
// the real receipt API: the cases the Go outbox's unit tests checked.
func TestOutboxScript(t *testing.T) {
	t.Run("NoKeyBeforeTheFirstDecision", func(t *testing.T) {
		srv := startOutboxServer(t)
		ctx := newTab(t)
		openOutboxPage(t, ctx, srv.URL+"/")
		assert.Equal(t, "ok: 0", settled(t, ctx, `kaiconnOutbox.pending()`))
		assert.Equal(t, "ok: "+`{
  "subject": "",
  "receipts": []
}`, settled(t, ctx, `kaiconnOutbox.download()`))
		assert.False(t, outboxExists(t, ctx), "a page load creates no database, and so no key")

		got := settled(t, ctx, `kaiconnOutbox.record({decision: {}, meta: {receiptId: "`+uuid.NewString()+`"}})`)
		assert.Equal(t, "error: outbox: not a receipt order of version 2", got, "an order of version 1 is refused")
		assert.False(t, outboxExists(t, ctx), "a refused order creates no key")
	})

	t.Run("SameIDOnce", func(t *testing.T) {
		srv := startOutboxServer(t)
		ctx := newTab(t)
		openOutboxPage(t, ctx, srv.URL+"/")
		id, subject := uuid.NewString(), receipt.NewSubject()
		order := orderJSON(t, []consent.PurposeID{"push"}, id, subject, "", outboxPolicySHA)
		assert.Equal(t, "ok: "+id, settled(t, ctx, `kaiconnOutbox.record(`+order+`)`))
		assert.Equal(t, "ok: "+id, settled(t, ctx, `kaiconnOutbox.record(`+order+`)`), "a double click")
		other := orderJSON(t, []consent.PurposeID{"location"}, id, subject, "", outboxPolicySHA)
		assert.Equal(t, "error: outbox: receipt "+id+" already records another decision", settled(t, ctx, `kaiconnOutbox.record(`+other+`)`))
		st := waitState(t, ctx, "the receipt acknowledged", func(st outboxState) bool {
			return len(st.Entries) == 1 && st.Entries[0].State == stateAcknowledged
		})
		assert.Equal(t, receipt.StateGiven, states(decode(t, st.Entries[0].Envelope))["push"], "the first decision stands")
		assert.Equal(t, 1, srv.postsOf(id))
	})

	t.Run("RetryAfter", func(t *testing.T) {
		srv := startOutboxServer(t)
		ctx := newTab(t)
		openOutboxPage(t, ctx, srv.URL+"/")
		srv.setBusy(http.StatusServiceUnavailable)
		id := uuid.NewString()
		await(t, ctx, recordCall(t, nil, id, receipt.NewSubject(), ""))
		st := waitState(t, ctx, "a refused attempt", func(st outboxState) bool {
			return len(st.Entries) == 1 && st.Entries[0].Attempts >= 1
		})
		e := st.Entries[0]
		assert.Equal(t, statePending, e.State, "kept, to be sent again")
		assert.Equal(t, "status 503: try again later", e.LastError)
		srv.setBusy(0)
		waitState(t, ctx, "sent again on schedule, without a reload or an online event", func(st outboxState) bool {
			return st.Entries[0].State == stateAcknowledged
		})
		assert.GreaterOrEqual(t, srv.postsOf(id), 2)
	})

	t.Run("RejectedKeptAndChainRelinked", func(t *testing.T) {
		srv := startOutboxServer(t)
		ctx := newTab(t)
		openOutboxPage(t, ctx, srv.URL+"/")
		srv.setDown(true)
		subject := receipt.NewSubject()
		bad, good := uuid.NewString(), uuid.NewString()
		wrongText := strings.Repeat("f", 64)
		await(t, ctx, `kaiconnOutbox.record(`+orderJSON(t, []consent.PurposeID{"push"}, bad, subject, "", wrongText)+`)`)
		// The server's order names the head it knows (none); the device
		// chains the new receipt after the one still waiting.
		await(t, ctx, recordCall(t, nil, good, subject, ""))
		st := readState(t, ctx)
		require.Len(t, st.Entries, 2)
		assert.Equal(t, st.Entries[0].Hash, st.Entries[1].prevHash(t), "chained after the pending receipt")
		assert.Equal(t, receipt.StateWithdrawn, states(decode(t, st.Entries[1].Envelope))["push"], "push, given by the receipt before, is withdrawn")

		srv.setDown(false)
		do(t, ctx, chromedp.Reload())
		st = waitState(t, ctx, "the second receipt acknowledged", func(st outboxState) bool {
			return len(st.Entries) == 2 && st.Entries[1].State == stateAcknowledged
		})
		assert.Equal(t, stateRejected, st.Entries[0].State, "kept, with the server's message")
		assert.Contains(t, st.Entries[0].RejectMessage, "status 422: ")
		assert.Empty(t, st.Entries[1].prevHash(t), "relinked around the rejected receipt")
		assert.Equal(t, receipt.StateRefused, states(decode(t, st.Entries[1].Envelope))["push"], "nothing was given before it any more")
		assert.Equal(t, 1, srv.postsOf(bad), "a rejected receipt is never sent again")
		assert.Equal(t, 1, srv.postsOf(good))
	})

	// A chain that keeps moving is not something signing again fixes: a
	// receipt is rebuilt on the server's head at most three times, then
	// kept as rejected with the server's message, and never posted again.
	t.Run("RebuildsABoundedNumberOfTimes", func(t *testing.T) {
		srv := startOutboxServer(t)
		ctx := newTab(t)
		openOutboxPage(t, ctx, srv.URL+"/")
		srv.set(func(s *outboxServer) { s.moved = true })
		id := uuid.NewString()
		await(t, ctx, recordCall(t, nil, id, receipt.NewSubject(), ""))
		st := waitState(t, ctx, "rejected after its rebuilds", func(st outboxState) bool {
			return len(st.Entries) == 1 && st.Entries[0].State == stateRejected
		})
		e := st.Entries[0]
		assert.Equal(t, 3, e.Rebuilds)
		assert.Equal(t, "status 422: receipt.prevHash: not the head of this subject's chain for this key", e.RejectMessage)
		assert.Equal(t, 4, srv.postsOf(id), "the first post and one after each rebuild")
		assert.Equal(t, 3, srv.headsRead(), "one read of the head per rebuild")
		assert.Equal(t, "ok: 0", settled(t, ctx, `kaiconnOutbox.pending()`))
	})

	// When the server says the chain moved and its head cannot be read,
	// the receipt waits to be sent again: neither rejected nor rebuilt on
	// a head the outbox does not know.
	t.Run("HeadUnreachable", func(t *testing.T) {
		srv := startOutboxServer(t)
		ctx := newTab(t)
		openOutboxPage(t, ctx, srv.URL+"/")
		srv.set(func(s *outboxServer) { s.moved, s.headDown = true, true })
		id := uuid.NewString()
		await(t, ctx, recordCall(t, nil, id, receipt.NewSubject(), ""))
		st := waitState(t, ctx, "a failed read of the head", func(st outboxState) bool {
			return len(st.Entries) == 1 && st.Entries[0].Attempts >= 1
		})
		e := st.Entries[0]
		assert.Equal(t, statePending, e.State)
		assert.Zero(t, e.Rebuilds)
		assert.Equal(t, "network: no answer from the receipt service while reading the subject's head", e.LastError)
		srv.set(func(s *outboxServer) { s.moved, s.headDown = false, false })
		waitState(t, ctx, "sent again on schedule", func(st outboxState) bool { return st.Entries[0].State == stateAcknowledged })
	})

	t.Run("TwoTabs", func(t *testing.T) {
		srv := startOutboxServer(t)
		tab1 := newTab(t)
		openOutboxPage(t, tab1, srv.URL+"/")
		tab2, cancel := chromedp.NewContext(tab1) // the same browser, another tab
		t.Cleanup(cancel)
		openOutboxPage(t, tab2, srv.URL+"/")
		subject := receipt.NewSubject()
		ids := []string{uuid.NewString(), uuid.NewString()}
		var wg sync.WaitGroup
		for i, ctx := range []context.Context{tab1, tab2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = chromedp.Run(ctx, chromedp.Evaluate[string](recordCall(t, []consent.PurposeID{"push"}, ids[i], subject, ""), chromedp.EvalAwaitPromise))
			}()
		}
		wg.Wait()
		st := waitState(t, tab1, "both receipts acknowledged", func(st outboxState) bool {
			return len(st.Entries) == 2 && st.Entries[0].State == stateAcknowledged && st.Entries[1].State == stateAcknowledged
		})
		assert.ElementsMatch(t, ids, []string{st.Entries[0].ID, st.Entries[1].ID})
		assert.Equal(t, st.Entries[0].Hash, st.Entries[1].prevHash(t), "one chain")
		for _, id := range ids {
			assert.Equal(t, 1, srv.postsOf(id), "sent once")
		}
	})

	t.Run("AdoptsAnotherSubjectWithANewKey", func(t *testing.T) {
		srv := startOutboxServer(t)
		ctx := newTab(t)
		openOutboxPage(t, ctx, srv.URL+"/")
		first, second := receipt.NewSubject(), receipt.NewSubject()
		await(t, ctx, recordCall(t, []consent.PurposeID{"push"}, uuid.NewString(), first, ""))
		await(t, ctx, recordCall(t, nil, uuid.NewString(), second, ""))
		st := waitState(t, ctx, "both acknowledged", func(st outboxState) bool {
			return len(st.Entries) == 2 && st.Entries[1].State == stateAcknowledged
		})
		assert.Equal(t, second, st.Subject, "the server's credential decides the subject")
		k1, k2 := decode(t, st.Entries[0].Envelope).Device.JWK, decode(t, st.Entries[1].Envelope).Device.JWK
		assert.NotEqual(t, k1, k2, "a key signs for one subject only")
		assert.Equal(t, receipt.StateRefused, states(decode(t, st.Entries[1].Envelope))["push"], "another subject's grant is not withdrawn here")
		var h receipt.History
		require.NoError(t, json.Unmarshal([]byte(await(t, ctx, `kaiconnOutbox.download()`)), &h))
		require.NoError(t, receipt.VerifyChain(h, srv.jwks))
		assert.Equal(t, second, h.Subject)
		require.Len(t, h.Receipts, 1, "only the current subject's receipts")
		assert.Equal(t, st.Entries[1].ID, h.Receipts[0].ID)
	})

	t.Run("ReadsTheGoOutboxRecords", func(t *testing.T) {
		// A browser that queued a receipt with the Go outbox (app.wasm
		// before outbox.js) keeps its key and sends the receipt.
		srv := startOutboxServer(t)
		ctx := newTab(t)
		openOutboxPage(t, ctx, srv.URL+"/")
		srv.setDown(true)
		id := uuid.NewString()
		await(t, ctx, recordCall(t, []consent.PurposeID{"push"}, id, receipt.NewSubject(), ""))
		waitState(t, ctx, "a failed attempt", func(st outboxState) bool { return st.Entries[0].Attempts >= 1 })
		readRow := `(async () => {
			const db = await new Promise(ok => { const r = indexedDB.open("kaiconn-outbox"); r.onsuccess = () => ok(r.result); });
			const row = await new Promise(ok => { const r = db.transaction("entries").objectStore("entries").get(` + jsString(id) + `); r.onsuccess = () => ok(r.result); });
			db.close();
			return row.json;
		})()`
		raw := await(t, ctx, readRow)
		var e map[string]any
		require.NoError(t, json.Unmarshal([]byte(raw), &e))
		// The Go outbox's Entry: the decision and meta it built the
		// receipt from, Go's zero time, none of outbox.js's members.
		cat, err := consent.LoadCatalogue(catalogues.FS, catalogues.Latest)
		require.NoError(t, err)
		d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, time.Now())
		require.NoError(t, err)
		e["decision"] = d
		e["meta"] = consentreceipt.Meta{ReceiptID: id, PolicySHA256: outboxPolicySHA}
		e["nextAttempt"] = "0001-01-01T00:00:00Z"
		delete(e, "v")
		delete(e, "ticket")
		delete(e, "required")
		old, err := json.Marshal(e)
		require.NoError(t, err)
		// Under the outbox's lock, so that its sender does not write the
		// entry back meanwhile.
		await(t, ctx, `navigator.locks.request("kaiconn-outbox", async () => {
			const db = await new Promise(ok => { const r = indexedDB.open("kaiconn-outbox"); r.onsuccess = () => ok(r.result); });
			const tx = db.transaction("entries", "readwrite");
			tx.objectStore("entries").put({id: `+jsString(id)+`, seq: 1, json: `+jsString(string(old))+`});
			await new Promise(ok => { tx.oncomplete = ok; });
			db.close();
			return "";
		})`)

		var now map[string]any
		require.NoError(t, json.Unmarshal([]byte(await(t, ctx, readRow)), &now))
		require.NotContains(t, now, "v", "the page holds the Go outbox's record")
		require.Contains(t, now, "decision")

		srv.setDown(false)
		do(t, ctx, chromedp.Reload())
		st := waitState(t, ctx, "the Go outbox's receipt acknowledged", func(st outboxState) bool {
			return st.Entries[0].State == stateAcknowledged
		})
		assert.Equal(t, id, st.Entries[0].ID)
		assert.Equal(t, 1, srv.postsOf(id))
	})
}
