//go:build !wasm

package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/outbox"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/memstore"
)

// policySHA is the hash the test server knows for every language; a
// receipt carrying another one is refused with 422.
const policySHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// t0 is when each test starts, on the clock the outbox and the API share.
// It is today: the store accepts a proof nonce until it expires by the
// wall clock.
var t0 = time.Now().UTC().Truncate(time.Millisecond)

// server is the real receipt API on an in-memory store, counting the posts
// that reach it per receipt id.
type server struct {
	URL   string
	jwks  []byte
	keys  *receipt.Keyring
	creds *credential.Keys
	cat   *consent.Catalogue
	now   func() time.Time
	store *memstore.Store
	mu    sync.Mutex
	posts map[string]int
}

func newServer(t *testing.T, now func() time.Time) *server {
	t.Helper()
	cat, err := consent.LoadCatalogue(catalogues.FS, catalogues.Latest)
	require.NoError(t, err)
	keys, err := receipt.NewKeyring()
	require.NoError(t, err)
	v := receipt.NewValidator(
		func(version, lang string) (string, bool) { return policySHA, version == cat.Version() },
		func(version, id string) bool {
			_, app := cat.Purpose(consent.SurfaceSettings, consent.PurposeID(id))
			_, web := cat.Purpose(consent.SurfaceWebBanner, consent.PurposeID(id))
			return version == cat.Version() && (app || web)
		}, now)
	creds, err := credential.NewKeys([]byte("0123456789abcdef0123456789abcdef"))
	require.NoError(t, err)
	s := &server{store: memstore.New(), jwks: keys.JWKS(), keys: keys, creds: creds, cat: cat, now: now, posts: map[string]int{}}
	h := api.New(api.Config{RateLimit: -1, Now: now}, api.Deps{
		Store: s.store, Keys: keys, Validator: v, Credentials: creds,
		Catalogue: func(version string) (*consent.Catalogue, bool) { return cat, version == cat.Version() },
	})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			var env struct {
				Receipt struct{ ID string } `json:"receipt"`
			}
			body := readAll(t, r)
			_ = json.Unmarshal(body, &env)
			s.mu.Lock()
			s.posts[env.Receipt.ID]++
			s.mu.Unlock()
			r.Body = nopCloser(body)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	s.URL = ts.URL
	return s
}

func (s *server) postsOf(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.posts[id]
}

// net is a Sender between the outbox and the server that can be cut, and
// can lose the answer after the server has stored the receipt.
type net struct {
	mu        sync.Mutex
	to        outbox.Sender
	offline   bool
	loseReply bool
	reply     *outbox.Reply // a canned answer to receipt posts instead of the server's
	sends     int           // receipt posts
	// headDown drops the head reads (GET .../head) only.
	headDown bool
	// beforePost runs before each receipt post reaches the server.
	beforePost func()
	requests   []outbox.Request
}

func (n *net) Do(ctx context.Context, req outbox.Request) (outbox.Reply, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	post := req.Path == outbox.ReceiptsPath
	n.requests = append(n.requests, req)
	if post {
		n.sends++
	}
	if n.offline || (n.headDown && strings.HasSuffix(req.Path, "/head")) {
		return outbox.Reply{}, errors.New("offline")
	}
	if post && n.reply != nil {
		return *n.reply, nil
	}
	if post && n.beforePost != nil {
		n.beforePost()
	}
	r, err := n.to.Do(ctx, req)
	if n.loseReply {
		return outbox.Reply{}, errors.New("connection reset")
	}
	return r, err
}

// posted returns the receipt posts that went out, in order.
func (n *net) posted() []outbox.Request {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []outbox.Request
	for _, r := range n.requests {
		if r.Path == outbox.ReceiptsPath {
			out = append(out, r)
		}
	}
	return out
}

func (n *net) set(f func(n *net)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f(n)
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	cat    *consent.Catalogue
	srv    *server
	net    *net
	clock  *clock
	store  *outbox.MemStore
	signer receipt.Signer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cat, err := consent.LoadCatalogue(catalogues.FS, catalogues.Latest)
	require.NoError(t, err)
	c := &clock{now: t0}
	srv := newServer(t, c.Now)
	return &fixture{
		cat: cat, srv: srv, clock: c, store: outbox.NewMemStore(),
		net:    &net{to: outbox.HTTPSender{BaseURL: srv.URL}},
		signer: receipt.GenerateEd25519Signer(),
	}
}

// open opens an outbox on the fixture's store, as a page load does.
func (f *fixture) open(t *testing.T) *outbox.Outbox {
	t.Helper()
	o, err := outbox.Open(context.Background(), outbox.Config{
		Store: f.store, Signer: f.signer, Sender: f.net, Clock: f.clock.Now,
		Backoff: outbox.Backoff{Rand: func() float64 { return 0 }},
	})
	require.NoError(t, err)
	return o
}

// decide records an app decision granting ticked, as the gate would.
func (f *fixture) decide(t *testing.T, o *outbox.Outbox, ticked ...consent.PurposeID) string {
	t.Helper()
	d, err := consent.Agree(f.cat, consent.SurfaceFirstLaunch, ticked, consent.LangEn, f.clock.Now())
	require.NoError(t, err)
	id, err := o.Record(context.Background(), d, f.meta(consent.SurfaceFirstLaunch))
	require.NoError(t, err)
	return id
}

func (f *fixture) meta(s consent.Surface) consentreceipt.Meta {
	return consentreceipt.Meta{
		ReceiptID:    outbox.NewReceiptID(),
		PolicySHA256: policySHA,
		Purposes:     consentreceipt.Purposes(f.cat, s, consent.LangEn),
	}
}

func entries(t *testing.T, o *outbox.Outbox) []outbox.Entry {
	t.Helper()
	es, err := o.Receipts(context.Background())
	require.NoError(t, err)
	return es
}

func prevHash(t *testing.T, e outbox.Entry) string {
	t.Helper()
	s, err := receipt.Decode(e.Envelope)
	require.NoError(t, err)
	return s.Receipt.PrevHash
}

func TestRecord(t *testing.T) {
	t.Run("StoredBeforeSent", func(t *testing.T) {
		f := newFixture(t)
		o := f.open(t)
		id := f.decide(t, o, "push")
		es := entries(t, o)
		require.Len(t, es, 1)
		assert.Equal(t, id, es[0].ID)
		assert.Equal(t, outbox.StatePending, es[0].State)
		assert.Zero(t, f.srv.postsOf(id), "Record stores; only Flush sends")
		s, err := receipt.Decode(es[0].Envelope)
		require.NoError(t, err)
		require.NoError(t, s.VerifyDevice())
		subject, err := o.Subject(context.Background())
		require.NoError(t, err)
		assert.Equal(t, subject, s.Receipt.Subject)
		assert.NoError(t, receipt.CheckSubject(subject))
	})

	t.Run("SameIDOnce", func(t *testing.T) {
		f := newFixture(t)
		o := f.open(t)
		d, err := consent.Decline(f.cat, consent.SurfaceFirstLaunch, consent.LangEn, t0)
		require.NoError(t, err)
		m := f.meta(consent.SurfaceFirstLaunch)
		for range 2 {
			id, err := o.Record(context.Background(), d, m)
			require.NoError(t, err)
			assert.Equal(t, m.ReceiptID, id)
		}
		assert.Len(t, entries(t, o), 1, "a double click records one receipt")
	})

	t.Run("ErrConflictOtherDecisionSameID", func(t *testing.T) {
		f := newFixture(t)
		o := f.open(t)
		m := f.meta(consent.SurfaceFirstLaunch)
		d1, _ := consent.Decline(f.cat, consent.SurfaceFirstLaunch, consent.LangEn, t0)
		d2, _ := consent.Agree(f.cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, t0)
		_, err := o.Record(context.Background(), d1, m)
		require.NoError(t, err)
		_, err = o.Record(context.Background(), d2, m)
		assert.Equal(t, errs.Conflict, errs.Code(err))
	})

	t.Run("ErrInvalidReceiptID", func(t *testing.T) {
		f := newFixture(t)
		o := f.open(t)
		d, _ := consent.Decline(f.cat, consent.SurfaceFirstLaunch, consent.LangEn, t0)
		m := f.meta(consent.SurfaceFirstLaunch)
		m.ReceiptID = ""
		_, err := o.Record(context.Background(), d, m)
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.Empty(t, entries(t, o))
	})

	t.Run("WithdrawalFromPreviousReceipt", func(t *testing.T) {
		f := newFixture(t)
		o := f.open(t)
		d, err := consent.Agree(f.cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, t0)
		require.NoError(t, err)
		_, err = o.Record(context.Background(), d, f.meta(consent.SurfaceFirstLaunch))
		require.NoError(t, err)
		w, err := consent.Withdraw(f.cat, d, consent.SurfaceSettings, consent.LangEn, t0.Add(time.Minute), "push")
		require.NoError(t, err)
		_, err = o.Record(context.Background(), w, f.meta(consent.SurfaceSettings))
		require.NoError(t, err)
		es := entries(t, o)
		s, err := receipt.Decode(es[1].Envelope)
		require.NoError(t, err)
		for _, p := range s.Receipt.Purposes {
			if p.ID == "push" {
				assert.Equal(t, receipt.StateWithdrawn, p.State)
			}
		}
	})
}

func TestFlush(t *testing.T) {
	t.Run("OfflineThenInOrder", func(t *testing.T) {
		f := newFixture(t)
		f.net.offline = true
		o := f.open(t)
		ids := []string{f.decide(t, o), f.decide(t, o, "push"), f.decide(t, o, "push", "location")}

		es := entries(t, o)
		require.Len(t, es, 3)
		assert.Equal(t, "", prevHash(t, es[0]), "the first receipt starts the chain")
		assert.Equal(t, es[0].Hash, prevHash(t, es[1]), "queued receipts chain to the one before")
		assert.Equal(t, es[1].Hash, prevHash(t, es[2]))

		err := o.Flush(context.Background())
		require.ErrorIs(t, err, outbox.ErrNotSent)
		assert.Equal(t, 1, f.net.sends, "nothing after the oldest is tried while it fails")

		f.net.set(func(n *net) { n.offline = false })
		require.NoError(t, o.Retry(context.Background()))
		for i, e := range entries(t, o) {
			assert.Equal(t, outbox.StateAcknowledged, e.State, i)
			assert.NotEmpty(t, e.Countersignature, i)
			assert.Equal(t, 1, f.srv.postsOf(ids[i]), "receipt %d posted exactly once", i)
		}

		var got []string
		require.NoError(t, f.srv.store.Export(context.Background(), func(r receipt.Record) error {
			got = append(got, r.ID)
			return nil
		}))
		assert.Equal(t, ids, got, "the server received them oldest first")

		b, err := o.DownloadJSON(context.Background())
		require.NoError(t, err)
		var h receipt.History
		require.NoError(t, json.Unmarshal(b, &h))
		require.NoError(t, receipt.VerifyChain(h, f.srv.jwks), "the download is what kaiconn-verify -chain accepts")
		assert.Len(t, h.Receipts, 3)
	})

	t.Run("BackoffSchedule", func(t *testing.T) {
		f := newFixture(t)
		f.net.offline = true
		o := f.open(t)
		f.decide(t, o)
		// Rand is 0, so each delay is half the exponential schedule.
		want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}
		for i, d := range want {
			require.ErrorIs(t, o.Flush(context.Background()), outbox.ErrNotSent)
			e := entries(t, o)[0]
			assert.Equal(t, i+1, e.Attempts)
			assert.Equal(t, f.clock.Now().Add(d), e.NextAttempt, "attempt %d", i+1)

			sends := f.net.sends
			f.clock.Advance(d - time.Millisecond)
			require.NoError(t, o.Flush(context.Background()), "not due yet")
			assert.Equal(t, sends, f.net.sends, "nothing is sent before the backoff elapses")
			f.clock.Advance(time.Millisecond)
		}
	})

	t.Run("RetryAfter", func(t *testing.T) {
		f := newFixture(t)
		f.net.reply = &outbox.Reply{Status: http.StatusTooManyRequests, RetryAfter: "120",
			Body: []byte(`{"error":{"code":"rate_limited","message":"too many requests; retry later"}}`)}
		o := f.open(t)
		f.decide(t, o)
		require.ErrorIs(t, o.Flush(context.Background()), outbox.ErrNotSent)
		e := entries(t, o)[0]
		assert.Equal(t, outbox.StatePending, e.State, "429 is retried, never rejected")
		assert.Equal(t, t0.Add(120*time.Second), e.NextAttempt, "the server's Retry-After wins over a shorter backoff")
		assert.Contains(t, e.LastError, "too many requests")
	})

	t.Run("ServerErrorRetried", func(t *testing.T) {
		f := newFixture(t)
		f.net.reply = &outbox.Reply{Status: http.StatusServiceUnavailable}
		o := f.open(t)
		id := f.decide(t, o)
		require.ErrorIs(t, o.Flush(context.Background()), outbox.ErrNotSent)
		f.net.set(func(n *net) { n.reply = nil })
		f.clock.Advance(time.Second)
		require.NoError(t, o.Flush(context.Background()))
		assert.Equal(t, outbox.StateAcknowledged, entries(t, o)[0].State)
		assert.Equal(t, 1, f.srv.postsOf(id))
	})

	t.Run("RejectedKeptAndChainRelinked", func(t *testing.T) {
		f := newFixture(t)
		f.net.offline = true
		o := f.open(t)
		first := f.decide(t, o)
		// The server does not know this policy text: it will refuse it.
		d, err := consent.Agree(f.cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, t0)
		require.NoError(t, err)
		bad := f.meta(consent.SurfaceFirstLaunch)
		bad.PolicySHA256 = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
		rejected, err := o.Record(context.Background(), d, bad)
		require.NoError(t, err)
		third := f.decide(t, o, "location")

		f.net.set(func(n *net) { n.offline = false })
		require.NoError(t, o.Retry(context.Background()))
		es := entries(t, o)
		require.Len(t, es, 3, "a refused receipt is kept, never dropped")
		assert.Equal(t, outbox.StateAcknowledged, es[0].State)
		assert.Equal(t, outbox.StateRejected, es[1].State)
		assert.Equal(t, "unprocessable", es[1].RejectCode)
		assert.Contains(t, es[1].RejectMessage, "receipt.policy.sha256")
		assert.Equal(t, outbox.StateAcknowledged, es[2].State, "the next receipt is relinked and accepted")
		assert.Equal(t, es[0].Hash, prevHash(t, es[2]))

		require.NoError(t, o.Retry(context.Background()))
		assert.Equal(t, 1, f.srv.postsOf(rejected), "a refused receipt is never resent")
		assert.Equal(t, 1, f.srv.postsOf(first))
		assert.Equal(t, 1, f.srv.postsOf(third))

		b, err := o.DownloadJSON(context.Background())
		require.NoError(t, err)
		var h receipt.History
		require.NoError(t, json.Unmarshal(b, &h))
		require.NoError(t, receipt.VerifyChain(h, f.srv.jwks))
		assert.Len(t, h.Receipts, 2)

		next := f.decide(t, o)
		require.NoError(t, o.Flush(context.Background()))
		assert.Equal(t, es[2].Hash, prevHash(t, entries(t, o)[3]), "new receipts chain to the relinked head")
		assert.Equal(t, 1, f.srv.postsOf(next))
	})
}

func TestRestart(t *testing.T) {
	t.Run("NothingLostNothingResent", func(t *testing.T) {
		f := newFixture(t)
		o := f.open(t)
		a := f.decide(t, o)
		require.NoError(t, o.Flush(context.Background()))
		f.net.set(func(n *net) { n.offline = true })
		b := f.decide(t, o, "push")
		c := f.decide(t, o, "push", "analytics")
		require.ErrorIs(t, o.Flush(context.Background()), outbox.ErrNotSent)

		// The app is closed for hours and opened again, online.
		f.clock.Advance(6 * time.Hour)
		f.net.set(func(n *net) { n.offline = false })
		o2 := f.open(t)
		subject1, _ := o.Subject(context.Background())
		subject2, _ := o2.Subject(context.Background())
		assert.Equal(t, subject1, subject2, "the subject survives a restart")
		require.NoError(t, o2.Retry(context.Background()))
		for _, id := range []string{a, b, c} {
			assert.Equal(t, 1, f.srv.postsOf(id), "receipt %s", id)
		}
		for _, e := range entries(t, o2) {
			assert.Equal(t, outbox.StateAcknowledged, e.State)
		}
	})

	t.Run("LostAnswerResentOnceAndAcknowledged", func(t *testing.T) {
		f := newFixture(t)
		f.net.loseReply = true
		o := f.open(t)
		id := f.decide(t, o)
		require.ErrorIs(t, o.Flush(context.Background()), outbox.ErrNotSent)
		assert.Equal(t, 1, f.srv.store.Len(), "the server stored it; the device never heard")

		f.net.set(func(n *net) { n.loseReply = false })
		o2 := f.open(t)
		require.NoError(t, o2.Retry(context.Background()))
		e := entries(t, o2)[0]
		assert.Equal(t, outbox.StateAcknowledged, e.State)
		rec, err := f.srv.store.Get(context.Background(), id)
		require.NoError(t, err)
		assert.Equal(t, rec.Countersig, e.Countersignature, "the retry gets the first answer back")
		assert.Equal(t, 1, f.srv.store.Len())
	})
}

func TestTwoTabs(t *testing.T) {
	f := newFixture(t)
	tabs := []*outbox.Outbox{f.open(t), f.open(t)}
	var wg sync.WaitGroup
	ids := make(chan string, 10)
	for _, o := range tabs {
		wg.Go(func() {
			for range 5 {
				ids <- f.decide(t, o, "push")
				assert.NoError(t, o.Flush(context.Background()))
			}
		})
	}
	wg.Wait()
	close(ids)
	for id := range ids {
		assert.Equal(t, 1, f.srv.postsOf(id), "receipt %s", id)
	}
	es := entries(t, tabs[0])
	require.Len(t, es, 10)
	for i, e := range es {
		assert.Equal(t, outbox.StateAcknowledged, e.State)
		if i > 0 {
			assert.Equal(t, es[i-1].Hash, prevHash(t, e), "one chain across both tabs")
		}
	}
}

func TestRun(t *testing.T) {
	f := newFixture(t)
	o := f.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- o.Run(ctx) }()
	id := f.decide(t, o)
	// Record wakes Run, which sends; wait for the acknowledgement without
	// relying on how long it takes.
	require.Eventually(t, func() bool { return entries(t, o)[0].State == outbox.StateAcknowledged },
		10*time.Second, 5*time.Millisecond)
	cancel()
	assert.ErrorIs(t, <-done, context.Canceled)
	assert.Equal(t, 1, f.srv.postsOf(id))
}
