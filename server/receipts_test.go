package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/receipt"
)

// openTest opens the real program on a fresh data directory (SQLite), or on
// the PostgreSQL database dsn when it is set.
func openTest(t testing.TB, dir, dsn string) *Server {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	s, err := Open(Config{Addr: "127.0.0.1:0", DataDir: dir, DSN: dsn, RateLimit: -1}, slog.New(slog.DiscardHandler))
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
	cat := s.catalogues[catalogue.Latest]
	now := time.Now()

	agreed, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "location"}, consent.LangEn, now)
	require.NoError(t, err)
	firstID, subject, err := s.recordDecision(ctx, agreed, "")
	require.NoError(t, err)
	require.NoError(t, receipt.CheckSubject(subject), "a fresh subject is minted")

	t.Run("OKStoredCountersignedServerAttested", func(t *testing.T) {
		env := verified(t, s, firstID)
		assert.Equal(t, receipt.AttestationServer, env.Attestation)
		assert.Equal(t, receipt.Device{}, env.Device)
		assert.Equal(t, subject, env.Receipt.Subject)
		assert.Equal(t, "", env.Receipt.PrevHash, "the subject's first receipt")
		assert.Equal(t, receipt.SurfaceFirstLaunch, env.Receipt.Surface)
		assert.Equal(t, receipt.DecisionAgreed, env.Receipt.Decision)
		assert.Equal(t, receipt.FormatTime(agreed.At), env.Receipt.IssuedAt)
		assert.Equal(t, map[string]string{
			"basic": "given", "push": "given", "location": "given",
			"wechat-share": "refused", "crash-reports": "refused", "analytics": "refused",
		}, states(env))
	})
	t.Run("OKPolicyHashOfTheLanguageShown", func(t *testing.T) {
		env := verified(t, s, firstID)
		v, _ := s.policies.Version(catalogue.Latest)
		assert.Equal(t, receipt.LangEn, env.Receipt.Language)
		assert.Equal(t, v.Docs[receipt.LangEn].SHA256, env.Receipt.Policy.SHA256)
		assert.NotEqual(t, v.Docs[receipt.LangZhHans].SHA256, env.Receipt.Policy.SHA256)
	})
	t.Run("OKPurposeFromCatalogue", func(t *testing.T) {
		env := verified(t, s, firstID)
		push := purpose(env, "push")
		assert.Equal(t, receipt.ConsentTypeSeparate, push.ConsentType)
		assert.Contains(t, push.Recipient, "Getui (Daily Interactive Co., Ltd.)")
		assert.Contains(t, push.Recipient, "Getui (igexin) SDK")
		assert.Equal(t, []string{"Device identifier", "location information", "MAC address", "SD card storage permissions"}, push.DataCategories)
		assert.Equal(t, receipt.FormatTime(agreed.At.Add(ConsentLifetime)), push.ExpiresAt)
		assert.Equal(t, consentreceipt.WithdrawText(consent.LangEn), push.Withdraw.Text)
		assert.Equal(t, receipt.WithdrawURL, push.Withdraw.URL)
		assert.Equal(t, consentreceipt.RequiredText(consent.LangEn), purpose(env, "basic").Withdraw.Text, "the required processing cannot be withdrawn alone")
	})
	t.Run("OKSameReceiptAsTheOutbox", func(t *testing.T) {
		// The browser's outbox maps a decision with consentreceipt.Params;
		// the server's receipt of the same decision says the same.
		env := verified(t, s, firstID)
		v, _ := s.policies.Version(catalogue.Latest)
		want, err := consentreceipt.Params(agreed, consentreceipt.Meta{
			ReceiptID:    env.Receipt.ID,
			PolicySHA256: v.Docs[receipt.LangEn].SHA256,
			Purposes:     consentreceipt.Purposes(cat, consent.SurfaceFirstLaunch, consent.LangEn),
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
		published := map[string]PurposeInfo{}
		for _, pv := range info.Versions {
			if pv.Version != catalogue.Latest {
				continue
			}
			for _, p := range pv.Purposes {
				if p.Surface == receipt.SurfaceFirstLaunch {
					published[p.ID] = p
				}
			}
		}
		env := verified(t, s, firstID)
		require.Len(t, published, len(env.Receipt.Purposes))
		for _, p := range env.Receipt.Purposes {
			assert.Equal(t, p.Recipient, published[p.ID].Recipient[consent.LangEn], p.ID)
			assert.Equal(t, p.DataCategories, published[p.ID].DataCategories[consent.LangEn], p.ID)
		}
	})

	// The same person withdraws push in settings, reading Chinese.
	withdrawn, err := consent.Withdraw(cat, agreed, consent.SurfaceSettings, consent.LangZhHans, now.Add(time.Second), "push")
	require.NoError(t, err)
	secondID, again, err := s.recordDecision(ctx, withdrawn, subject)
	require.NoError(t, err)
	assert.Equal(t, subject, again)

	t.Run("OKChainExtends", func(t *testing.T) {
		first, err := s.store.Get(ctx, firstID)
		require.NoError(t, err)
		env := verified(t, s, secondID)
		assert.Equal(t, first.Hash, env.Receipt.PrevHash)
		assert.Equal(t, "withdrawn", states(env)["push"], "given before, so withdrawn, not refused")
		assert.Equal(t, "refused", states(env)["wechat-share"], "never given, so refused")
		assert.Equal(t, "given", states(env)["location"])
		v, _ := s.policies.Version(catalogue.Latest)
		assert.Equal(t, v.Docs[receipt.LangZhHans].SHA256, env.Receipt.Policy.SHA256)
		assert.Equal(t, consentreceipt.RequiredText(consent.LangZhHans), purpose(env, "basic").Withdraw.Text)
		assert.Equal(t, consentreceipt.WithdrawText(consent.LangZhHans), purpose(env, "push").Withdraw.Text)

		records, err := s.store.Subject(ctx, subject)
		require.NoError(t, err)
		h := receipt.History{Subject: subject}
		for _, r := range records {
			h.Receipts = append(h.Receipts, receipt.FromRecord(r))
		}
		require.Len(t, h.Receipts, 2)
		require.NoError(t, receipt.VerifyChain(h, s.keys.JWKS()))
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
		webCat := s.catalogues[catalogue.Latest]
		web, err := consent.Agree(webCat, consent.SurfaceWebBanner, []consent.PurposeID{"analytics"}, consent.LangEn, now)
		require.NoError(t, err)
		id, _, err := s.recordDecision(ctx, web, subject)
		require.NoError(t, err)
		declined, err := consent.Decline(webCat, consent.SurfaceWebBanner, consent.LangEn, now.Add(2*time.Second))
		require.NoError(t, err)
		id2, _, err := s.recordDecision(ctx, declined, subject)
		require.NoError(t, err)
		assert.Equal(t, "given", states(verified(t, s, id))["analytics"])
		assert.Equal(t, "withdrawn", states(verified(t, s, id2))["analytics"])
	})
}

func TestRecordDecisionRefused(t *testing.T) {
	s := openTest(t, "", "")
	ctx := context.Background()
	cat := s.catalogues[catalogue.Latest]
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
			subject := tt.edit(&d)
			id, _, err := s.recordDecision(ctx, d, subject)
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
	cat := s.catalogues[catalogue.Latest]
	subject := receipt.NewSubject()
	d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, nil, consent.LangEn, time.Now())
	require.NoError(t, err)

	inner := s.store
	var competitor string
	s.store = &racingStore{Store: inner, other: func() {
		other := *s
		other.store = inner
		competitor, _, err = other.recordDecision(ctx, d, subject)
		require.NoError(t, err)
	}}
	id, _, err := s.recordDecision(ctx, d, subject)
	require.NoError(t, err)

	records, err := inner.Subject(ctx, subject)
	require.NoError(t, err)
	require.Len(t, records, 2)
	assert.Equal(t, competitor, records[0].ID)
	assert.Equal(t, id, records[1].ID)
	assert.Equal(t, records[0].Hash, records[1].PrevHash, "rebuilt on the new head")
}
