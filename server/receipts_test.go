package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/httperr"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
)

// openTest opens the real program on a fresh data directory (SQLite), or on
// the PostgreSQL database dsn when it is set.
func openTest(t testing.TB, dir, dsn string) *Server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := openData(Config{Addr: "127.0.0.1:0", DataDir: dir, DSN: dsn, RateLimit: -1}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// verified fetches a stored receipt and checks it offline against the
// server's published keys, as a regulator would.
func verified(t *testing.T, s *Server, id string) *receipt.Signed {
	t.Helper()
	rec, err := s.store.Get(context.Background(), id)
	require.NoError(t, err)
	env, err := receipt.FromRecord(rec).Verify(s.keys.JWKS())
	require.NoError(t, err)
	return env
}

// cred is what a form post without a usable ticket is recorded under: the
// subject given ("" for a fresh one) and a fresh receipt id.
func cred(subject string) *recorder.Credential {
	if subject == "" {
		subject = receipt.NewSubject()
	}
	return &recorder.Credential{Subject: subject, ReceiptID: uuid.NewString()}
}

func states(env *receipt.Signed) map[string]string {
	m := map[string]string{}
	for _, p := range env.Receipt.Purposes {
		m[p.ID] = p.State
	}
	return m
}

// purpose returns the purpose id of a receipt, or the zero purpose.
func purpose(env *receipt.Signed, id string) receipt.Purpose {
	i := slices.IndexFunc(env.Receipt.Purposes, func(p receipt.Purpose) bool { return p.ID == id })
	if i < 0 {
		return receipt.Purpose{}
	}
	return env.Receipt.Purposes[i]
}

func TestRecordDecision(t *testing.T) {
	s := openTest(t, "", "")
	ctx := context.Background()
	cat := s.catalogues[localestest.Base]
	now := time.Now()

	agreed, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "location"}, consent.LangEn, now)
	require.NoError(t, err)
	first := cred("")
	first.ShownAt = now.Add(-time.Minute).UTC().Truncate(time.Millisecond)
	subject := first.Subject
	firstID, kind, err := s.recorder.Decision(ctx, agreed, first, false)
	require.NoError(t, err)
	assert.Equal(t, first.ReceiptID, firstID, "stored under the id the server chose")
	assert.Equal(t, consent.KindAgreed, kind)

	t.Run("OKStoredCountersignedServerAttested", func(t *testing.T) {
		env := verified(t, s, firstID)
		assert.Equal(t, receipt.AttestationServer, env.Attestation)
		assert.Equal(t, receipt.SchemaV3, env.Receipt.Schema)
		assert.Equal(t, receipt.Device{}, env.Device)
		assert.Equal(t, subject, env.Receipt.Subject)
		assert.Equal(t, "", env.Receipt.PrevHash, "the subject's first receipt")
		assert.Equal(t, receipt.SurfaceFirstLaunch, env.Receipt.Surface)
		assert.Equal(t, receipt.DecisionAgreed, env.Receipt.Decision)
		assert.Equal(t, receipt.FormatTime(agreed.At), env.Receipt.IssuedAt)
		assert.Equal(t, map[string]string{
			"basic": "necessary", "push": "given", "location": "given",
			"wechat-share": "refused", "crash-reports": "refused", "analytics": "refused",
		}, states(env))
	})
	t.Run("OKPolicyHashOfTheLanguageShown", func(t *testing.T) {
		env := verified(t, s, firstID)
		v, _ := s.policies.Version(localestest.Base)
		assert.Equal(t, receipt.LangEn, env.Receipt.Language)
		assert.Equal(t, v.Docs[receipt.LangEn].SHA256, env.Receipt.Policy.SHA256)
		assert.NotEqual(t, v.Docs[receipt.LangZhHans].SHA256, env.Receipt.Policy.SHA256)
	})
	t.Run("OKNoticeAndShownAt", func(t *testing.T) {
		env := verified(t, s, firstID)
		assert.Equal(t, notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn), env.Receipt.Notice, "the catalogue's shown notice")
		assert.Equal(t, receipt.FormatTime(agreed.At.Add(ConsentLifetime)), purpose(env, "push").ExpiresAt)
		assert.Empty(t, purpose(env, "analytics").ExpiresAt, "only a given purpose has an expiry")
		rec, err := s.store.Get(ctx, firstID)
		require.NoError(t, err)
		assert.True(t, first.ShownAt.Equal(rec.ShownAt), "when the page was shown: the ticket's mint time")
		assert.False(t, rec.Reask)
	})
	t.Run("OKSameReceiptAsTheOutbox", func(t *testing.T) {
		// The browser's outbox maps a decision with consentreceipt.Params;
		// the server's receipt of the same decision says the same.
		env := verified(t, s, firstID)
		v, _ := s.policies.Version(localestest.Base)
		want, err := consentreceipt.Params(agreed, consentreceipt.Meta{
			ReceiptID:    env.Receipt.ID,
			PolicySHA256: v.Docs[receipt.LangEn].SHA256,
			Notice:       notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn),
		}, subject, "")
		require.NoError(t, err)
		assert.Equal(t, receipt.New(want), &env.Receipt)
	})
	t.Run("OKPolicyInfoMatchesReceipts", func(t *testing.T) {
		rec := httptest.NewRecorder()
		s.policyInfo(rec, httptest.NewRequest(http.MethodGet, "/api/v1/policy", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		var info PolicyInfo
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &info))
		assert.Equal(t, consentreceipt.WithdrawText(consent.LangEn), info.Withdraw.Text[consent.LangEn])
		assert.Equal(t, consentreceipt.RequiredText(consent.LangZhHans), info.Withdraw.RequiredText[consent.LangZhHans])
		var latest PolicyVersionInfo
		for _, pv := range info.Versions {
			if pv.Version == localestest.Base {
				latest = pv
			}
		}
		env := verified(t, s, firstID)
		assert.Equal(t, env.Receipt.Notice, latest.Notices[receipt.SurfaceFirstLaunch][consent.LangEn], "a native app builds the same receipt from the published notice")
		// Settings shows the same purposes but asks no 18+ confirmation,
		// so its notice lists no statement and differs.
		assert.Equal(t, notice.For(cat, consent.SurfaceSettings, consent.LangEn), latest.Notices[receipt.SurfaceSettings][consent.LangEn])
		assert.NotEqual(t, env.Receipt.Notice, latest.Notices[receipt.SurfaceSettings][consent.LangEn])
		assert.NotEqual(t, env.Receipt.Notice, latest.Notices[receipt.SurfaceWebBanner][consent.LangEn])
		n := 0
		for _, p := range latest.Purposes {
			if p.Surface == receipt.SurfaceFirstLaunch {
				n++
			}
		}
		assert.Equal(t, len(env.Receipt.Purposes), n)
	})

	// The same person withdraws push in settings, reading Chinese.
	withdrawn, err := consent.Withdraw(cat, agreed, consent.SurfaceSettings, consent.LangZhHans, now.Add(time.Second), "push")
	require.NoError(t, err)
	secondID, kind, err := s.recorder.Decision(ctx, withdrawn, cred(subject), false)
	require.NoError(t, err)
	assert.Equal(t, consent.KindWithdrawn, kind)

	t.Run("OKChainExtends", func(t *testing.T) {
		firstRec, err := s.store.Get(ctx, firstID)
		require.NoError(t, err)
		env := verified(t, s, secondID)
		assert.Equal(t, firstRec.Hash, env.Receipt.PrevHash)
		assert.Equal(t, "withdrawn", states(env)["push"], "given before, so withdrawn, not refused")
		assert.Equal(t, "refused", states(env)["wechat-share"], "never given, so refused")
		assert.Equal(t, "given", states(env)["location"])
		v, _ := s.policies.Version(localestest.Base)
		assert.Equal(t, v.Docs[receipt.LangZhHans].SHA256, env.Receipt.Policy.SHA256)
		assert.Equal(t, notice.For(cat, consent.SurfaceSettings, consent.LangZhHans), env.Receipt.Notice)

		records, err := s.store.Subject(ctx, subject)
		require.NoError(t, err)
		h := receipt.History{Subject: subject}
		for _, r := range records {
			h.Receipts = append(h.Receipts, receipt.FromRecord(r))
		}
		require.Len(t, h.Receipts, 2)
		require.NoError(t, receipt.VerifyChain(h, s.keys.JWKS()))
	})
	t.Run("OKWithdrawalOfAGrantTheChainLacksIsAnUpdate", func(t *testing.T) {
		// The cookie (or the host app) may know of a grant the subject's
		// chain does not hold; a "withdrawal" that keeps it is an update,
		// which the catalogue check accepts.
		d, err := consent.Agree(cat, consent.SurfaceSettings, []consent.PurposeID{"analytics"}, consent.LangEn, now.Add(1500*time.Millisecond))
		require.NoError(t, err)
		d.Kind = consent.KindWithdrawn
		other := cred("")
		first, err := consent.Decline(cat, consent.SurfaceFirstLaunch, consent.LangEn, now)
		require.NoError(t, err)
		_, _, err = s.recorder.Decision(ctx, first, other, false)
		require.NoError(t, err)
		other.ReceiptID = uuid.NewString()
		id, kind, err := s.recorder.Decision(ctx, d, other, false)
		require.NoError(t, err)
		assert.Equal(t, consent.KindUpdated, kind)
		assert.Equal(t, receipt.DecisionUpdated, verified(t, s, id).Receipt.Decision)
	})
	t.Run("ErrTamperedFailsOffline", func(t *testing.T) {
		rec, err := s.store.Get(ctx, secondID)
		require.NoError(t, err)
		c := receipt.FromRecord(rec)
		c.Envelope = json.RawMessage(strings.Replace(string(c.Envelope), `"decision":"withdrawn"`, `"decision":"agreed"`, 1))
		require.NotEqual(t, string(rec.Body), string(c.Envelope))
		_, err = c.Verify(s.keys.JWKS())
		require.Error(t, err)
		assert.Contains(t, errs.Message(err), "countersignature: signs other bytes")
	})
	t.Run("OKWebBannerDoesNotWithdrawAppPurposes", func(t *testing.T) {
		// "analytics" is both an app SDK and a web cookie category: a banner
		// refusal is not a withdrawal of the app's analytics.
		webCat := s.catalogues[localestest.Base]
		web, err := consent.Agree(webCat, consent.SurfaceWebBanner, []consent.PurposeID{"analytics"}, consent.LangEn, now)
		require.NoError(t, err)
		id, _, err := s.recorder.Decision(ctx, web, cred(subject), false)
		require.NoError(t, err)
		declined, err := consent.Decline(webCat, consent.SurfaceWebBanner, consent.LangEn, now.Add(2*time.Second))
		require.NoError(t, err)
		id2, _, err := s.recorder.Decision(ctx, declined, cred(subject), false)
		require.NoError(t, err)
		assert.Equal(t, "given", states(verified(t, s, id))["analytics"])
		assert.Equal(t, "withdrawn", states(verified(t, s, id2))["analytics"])
	})
}

func TestRecordDecisionRefused(t *testing.T) {
	s := openTest(t, "", "")
	ctx := context.Background()
	cat := s.catalogues[localestest.Base]
	good, err := consent.Decline(cat, consent.SurfaceFirstLaunch, consent.LangZhHans, time.Now())
	require.NoError(t, err)

	for _, tt := range []struct {
		name    string
		edit    func(d *consent.Decision) string // returns the subject
		code    string
		message string
	}{
		{"ErrUnknownPolicyVersion", func(d *consent.Decision) string { d.PolicyVersion = "1999-01"; return "" },
			errs.Unprocessable, "policy_version: unknown policy version"},
		{"ErrRequiredRefused", func(d *consent.Decision) string {
			d.Choices = append([]consent.Choice{}, d.Choices...)
			for i := range d.Choices {
				if d.Choices[i].Required {
					d.Choices[i].Granted = false
				}
			}
			return ""
		}, errs.Unprocessable, "is required processing and cannot be refused"},
		{"ErrSubjectIsPhone", func(d *consent.Decision) string { return "13800138000" },
			errs.Invalid, "never a phone number"},
		{"ErrStale", func(d *consent.Decision) string { d.At = time.Now().Add(-40 * 24 * time.Hour); return "" },
			errs.Unprocessable, "receipt.issuedAt: older than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := good
			c := cred(tt.edit(&d))
			id, _, err := s.recorder.Decision(ctx, d, c, false)
			require.Error(t, err)
			assert.Empty(t, id)
			assert.Equal(t, tt.code, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.message)
		})
	}
	t.Run("NothingStored", func(t *testing.T) {
		n := 0
		require.NoError(t, s.store.Export(ctx, func(receipt.Record) error { n++; return nil }))
		assert.Equal(t, 0, n)
	})
}

// racingStore lets another writer extend a subject's chain just before the
// first Put, as a concurrent request would.
type racingStore struct {
	receipt.Store
	once  sync.Once
	other func()
}

func (r *racingStore) Put(ctx context.Context, rec receipt.Record, opt receipt.PutOptions) (receipt.Record, bool, error) {
	r.once.Do(r.other)
	return r.Store.Put(ctx, rec, opt)
}

func TestRecordDecisionRetriesChainConflict(t *testing.T) {
	s := openTest(t, "", "")
	ctx := context.Background()
	cat := s.catalogues[localestest.Base]
	subject := receipt.NewSubject()
	d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, nil, consent.LangEn, time.Now())
	require.NoError(t, err)

	inner := s.store
	var competitor string
	s.recorder = s.newRecorder(&racingStore{Store: inner, other: func() {
		// Another node: the same database, locks of its own.
		competitor, _, err = s.newRecorder(inner).Decision(ctx, d, cred(subject), false)
		require.NoError(t, err)
	}})
	id, _, err := s.recorder.Decision(ctx, d, cred(subject), false)
	require.NoError(t, err)

	records, err := inner.Subject(ctx, subject)
	require.NoError(t, err)
	require.Len(t, records, 2)
	assert.Equal(t, competitor, records[0].ID)
	assert.Equal(t, id, records[1].ID)
	assert.Equal(t, records[0].Hash, records[1].PrevHash, "rebuilt on the new head")
}

// conflictingStore refuses every Put as a chain conflict: another node
// always wins the subject's head.
type conflictingStore struct {
	Store
	puts atomic.Int32
}

func (c *conflictingStore) Put(context.Context, receipt.Record, receipt.PutOptions) (receipt.Record, bool, error) {
	c.puts.Add(1)
	return receipt.Record{}, false, errs.New(errs.Conflict, "prev_hash: is not the hash of the subject's newest receipt")
}

// A decision whose subject's chain never stops moving is answered 409 with
// Retry-After once chainWait is spent, logged at Info without the subject:
// never a 500, and nothing stored. synctest's clock spends chainWait at
// once.
func TestRecordDecisionBusyIsRetryable(t *testing.T) {
	var logs bytes.Buffer
	s, err := openData(Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), FormRateLimit: -1, FormSubjectRateLimit: -1},
		slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	b := decide(t, s, "/consent", browser{}, url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}})
	subject, err := s.creds.ParseSubject(b.sub)
	require.NoError(t, err)
	store := &conflictingStore{Store: s.store}
	s.store, s.recorder = store, s.newRecorder(store)
	for path, form := range map[string]url.Values{
		"/banner/consent":   {"lang": {"en"}, "action": {"accept"}},
		"/consent":          {"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}},
		"/settings/privacy": {"lang": {"en"}, "action": {"save"}, "purpose": {"push", "location"}},
	} {
		t.Run(path, func(t *testing.T) {
			logs.Reset()
			var res *http.Response
			synctest.Test(t, func(t *testing.T) {
				res = do(t, s, req{method: "POST", target: path, sub: b.sub, cookie: b.cookie, form: form,
					header: map[string]string{"Accept": "application/json"}})
			})
			assert.Equal(t, http.StatusConflict, res.StatusCode, "%s", bodyOf(t, res))
			assert.Equal(t, "1", res.Header.Get("Retry-After"))
			assert.Greater(t, store.puts.Load(), int32(1), "the chain was read again before giving up")
			assert.Contains(t, logs.String(), "level=INFO")
			assert.NotContains(t, logs.String(), "level=ERROR")
			assert.NotContains(t, logs.String(), subject, "no personal data in the log")
		})
	}
}

// failingStore refuses every Put with err.
type failingStore struct {
	Store
	err error
}

func (f failingStore) Put(context.Context, receipt.Record, receipt.PutOptions) (receipt.Record, bool, error) {
	return receipt.Record{}, false, f.err
}

// A decision the store refuses is answered with the status httperr's table
// gives the refusal's code, on every form path, as JSON and as text: never
// a 500 for a code the table knows, and only a 500 is logged as an error.
func TestFormPostsAnswerTheTable(t *testing.T) {
	var logs bytes.Buffer
	s, err := openData(Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), FormRateLimit: -1, FormSubjectRateLimit: -1},
		slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	b := decide(t, s, "/consent", browser{}, url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}})
	inner := s.store
	forms := map[string]url.Values{
		"/banner/consent":   {"lang": {"en"}, "action": {"accept"}},
		"/consent":          {"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}},
		"/settings/privacy": {"lang": {"en"}, "action": {"save"}, "purpose": {"push", "location"}},
	}
	for _, tt := range []struct {
		name   string
		err    error
		status int
		level  string
	}{
		{"TooLarge", errs.New(errs.TooLarge, "body: too large for the store"), http.StatusRequestEntityTooLarge, "level=DEBUG"},
		{"NotFound", errs.New(errs.NotFound, "subject: gone"), http.StatusNotFound, "level=DEBUG"},
		{"Unprocessable", errs.New(errs.Unprocessable, "receipt: refused"), http.StatusUnprocessableEntity, "level=DEBUG"},
		{"Internal", errors.New("disk on fire"), http.StatusInternalServerError, "level=ERROR"},
	} {
		for path, form := range forms {
			for _, accept := range []string{"application/json", "text/html"} {
				t.Run(tt.name+path+"/"+accept, func(t *testing.T) {
					store := failingStore{Store: inner, err: tt.err}
					s.store, s.recorder = store, s.newRecorder(store)
					t.Cleanup(func() { s.store, s.recorder = inner, s.newRecorder(inner) })
					logs.Reset()
					res := do(t, s, req{method: "POST", target: path, sub: b.sub, cookie: b.cookie, form: form,
						header: map[string]string{"Accept": accept}})
					body := bodyOf(t, res)
					assert.Equal(t, tt.status, res.StatusCode, "%s", body)
					assert.Equal(t, httperr.Status(tt.err), res.StatusCode)
					assert.Contains(t, body, errs.Message(tt.err))
					assert.Contains(t, logs.String(), tt.level)
					if tt.status != http.StatusInternalServerError {
						assert.NotContains(t, logs.String(), "level=ERROR")
					}
				})
			}
		}
	}
}
