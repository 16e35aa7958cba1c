package server

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/receipt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// with returns form plus the fields of extra.
func with(form url.Values, extra ...string) url.Values {
	out := maps.Clone(form)
	for i := 0; i+1 < len(extra); i += 2 {
		out.Set(extra[i], extra[i+1])
	}
	return out
}

// pageTicket renders path as browser b and returns the ticket of its state.
func pageTicket(t *testing.T, s *Server, path string, b browser) string {
	t.Helper()
	page := bodyOf(t, do(t, s, req{method: "GET", target: path, cookie: b.cookie, sub: b.sub}))
	v := gateState(t, page)
	require.NotEmpty(t, v.Ticket, "the page carries a ticket")
	return v.Ticket
}

// Every decision on the app's surfaces becomes a receipt: the server attests
// those posted without the wasm; the wasm's device signs its own.
func TestAppDecisionReceipts(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	agree := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}}

	t.Run("FormPostIsServerAttested", func(t *testing.T) {
		ticket := pageTicket(t, s, "/consent?lang=en", browser{})
		tk, err := s.creds.ParseTicket(ticket, time.Now())
		require.NoError(t, err)
		b := decide(t, s, "/consent", browser{}, with(agree, "ticket", ticket))
		h := decoded(t, s, b.cookie)
		assert.Equal(t, tk.ReceiptID, h[0].ReceiptID, "stored under the page's ticket")
		rec, err := s.store.Get(ctx, h[0].ReceiptID)
		require.NoError(t, err, "the receipt named in the cookie is stored")
		assert.Equal(t, tk.Subject, rec.Subject, "a first decision takes the ticket's fresh subject")
		assert.True(t, tk.MintedAt.Equal(rec.ShownAt), "shown when the page was rendered")
		sub, err := s.creds.ParseSubject(b.sub)
		require.NoError(t, err)
		assert.Equal(t, rec.Subject, sub, "kc_sub names the subject")
		env, err := receipt.Decode(rec.Body)
		require.NoError(t, err)
		assert.Equal(t, receipt.AttestationServer, env.Attestation)
		assert.Equal(t, receipt.SchemaV3, env.Receipt.Schema)
		assert.Equal(t, "first-launch", env.Receipt.Surface)
		assert.NoError(t, receipt.VerifyCountersigned(rec.Body, []byte(rec.Countersig), s.keys.JWKS()))

		// A later choice in settings joins the same subject's chain,
		// through kc_sub.
		b2 := decide(t, s, "/settings/privacy", b, url.Values{"lang": {"en"}, "action": {"withdraw-all"}})
		h2 := decoded(t, s, b2.cookie)
		rec2, err := s.store.Get(ctx, h2[0].ReceiptID)
		require.NoError(t, err)
		assert.Equal(t, rec.Subject, rec2.Subject)
		assert.Equal(t, rec.Hash, rec2.PrevHash)
		assert.True(t, rec2.ShownAt.IsZero(), "posted without a ticket: when it was shown is unknown")
		env2, err := receipt.Decode(rec2.Body)
		require.NoError(t, err)
		assert.Equal(t, "withdrawn", env2.Receipt.Decision)
	})

	t.Run("WasmPostLeavesTheReceiptToTheDevice", func(t *testing.T) {
		ticket := pageTicket(t, s, "/consent?lang=en", browser{})
		tk, err := s.creds.ParseTicket(ticket, time.Now())
		require.NoError(t, err)
		res := do(t, s, req{method: "POST", target: "/consent", form: with(agree, "ticket", ticket, "device", "1"), header: map[string]string{"Accept": "application/json"}})
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.NotNil(t, subCookie(res), "the browser gets its subject with the decision")
		var out components.Outcome[components.GateView]
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		o := readOrder(t, out.Receipt)
		r, err := o.Unsigned()
		require.NoError(t, err)
		assert.Equal(t, tk.ReceiptID, out.View.Bridge.ReceiptID)
		assert.Equal(t, tk.ReceiptID, r.ID)
		// Nothing is stored now, so the kc_sub this post gets must not be
		// the ticket's subject, on which another holder of the page could
		// still decide (issue 18): the device starts a fresh subject.
		assert.NotEqual(t, tk.Subject, r.Subject)
		sub, err := s.creds.ParseSubject(subCookie(res).Value)
		require.NoError(t, err)
		assert.Equal(t, r.Subject, sub, "kc_sub names the order's subject")
		otk, err := s.creds.ParseTicket(o.Ticket, time.Now())
		require.NoError(t, err)
		assert.Equal(t, credential.Ticket{ReceiptID: tk.ReceiptID, Subject: r.Subject, MintedAt: tk.MintedAt}, otk, "the device sends it beside kc_sub")
		assert.Empty(t, r.PrevHash, "a new subject")
		assert.NotEmpty(t, out.View.Ticket)
		assert.NotEqual(t, ticket, out.View.Ticket, "the next decision gets a new ticket")
		_, err = s.store.Get(ctx, tk.ReceiptID)
		assert.Equal(t, errs.NotFound, errs.Code(err), "the server does not attest what the device will sign")

		// What the server hands the device is exactly what the server's
		// rules accept once signed.
		signed := signOrder(t, s, o, receipt.GenerateEd25519Signer(), nil, "")
		assert.Equal(t, receipt.SchemaV3, signed.Receipt.Schema)
		assert.Equal(t, localestest.Base, signed.Receipt.Policy.Version)
	})

	t.Run("ErrClientNamedReceiptID", func(t *testing.T) {
		for _, id := range []string{"6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", "not-a-uuid"} {
			res := do(t, s, req{method: "POST", target: "/consent", form: with(agree, "receipt", id)})
			assert.Equal(t, http.StatusBadRequest, res.StatusCode)
			assert.Contains(t, bodyOf(t, res), "post the page's ticket")
			assert.Nil(t, appCookie(res), "nothing remembered")
			assert.Nil(t, subCookie(res))
			_, err := s.store.Get(ctx, id)
			assert.Equal(t, errs.NotFound, errs.Code(err))
		}
	})

	t.Run("ErrForgedTicket", func(t *testing.T) {
		other, err := credential.NewKeys([]byte("another server's cookie key, 32+"))
		require.NoError(t, err)
		forged := other.TicketValue(credential.MintTicket(receipt.NewSubject(), time.Now()))
		res := do(t, s, req{method: "POST", target: "/consent", form: with(agree, "ticket", forged)})
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
		assert.Nil(t, appCookie(res))
	})

	t.Run("OKTicketIsGoodOnce", func(t *testing.T) {
		ticket := pageTicket(t, s, "/consent?lang=en", browser{})
		b := decide(t, s, "/consent", browser{}, with(agree, "ticket", ticket))
		first := decoded(t, s, b.cookie)[0].ReceiptID
		r1, err := s.store.Get(ctx, first)
		require.NoError(t, err)

		// The same decision posted again with the page's ticket is a
		// resend: the stored receipt answers it, and nothing is stored.
		res := do(t, s, req{method: "POST", target: "/consent", form: with(agree, "ticket", ticket), cookie: b.cookie, sub: b.sub})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		assert.Contains(t, res.Header.Get("Location"), "r="+first)
		assert.Nil(t, subCookie(res), "a resend hands out no subject credential")
		all, err := s.store.Subject(ctx, r1.Subject)
		require.NoError(t, err)
		assert.Len(t, all, 1)

		// Another decision under the used ticket is a new one, under a
		// fresh id, on the same subject.
		again := decide(t, s, "/consent", b, with(url.Values{"lang": {"en"}, "action": {"decline"}}, "ticket", ticket))
		second := decoded(t, s, again.cookie)[0].ReceiptID
		assert.NotEqual(t, first, second, "the second decision of a page gets a fresh id")
		r2, err := s.store.Get(ctx, second)
		require.NoError(t, err)
		assert.Equal(t, r1.Subject, r2.Subject)
	})

	t.Run("OKExpiredTicketCountsAsNone", func(t *testing.T) {
		old := credential.MintTicket(receipt.NewSubject(), time.Now().Add(-credential.TicketLifetime-time.Hour))
		b := decide(t, s, "/consent", browser{}, with(agree, "ticket", s.creds.TicketValue(old)))
		rec, err := s.store.Get(ctx, decoded(t, s, b.cookie)[0].ReceiptID)
		require.NoError(t, err)
		assert.NotEqual(t, old.ReceiptID, rec.ID)
		assert.NotEqual(t, old.Subject, rec.Subject)
	})
}

// The subject rules of a form post (docs/threat-model.md): kc_sub decides;
// a ticket only names the id, and a subject only while it has no receipt.
func TestPostSubjectRules(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	agree := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}}
	stored := func(t *testing.T, b browser) receipt.Record {
		t.Helper()
		rec, err := s.store.Get(ctx, decoded(t, s, b.cookie)[0].ReceiptID)
		require.NoError(t, err)
		return rec
	}
	victim := decide(t, s, "/consent", browser{}, agree)
	victimRec := stored(t, victim)

	t.Run("OKOldPageAfterTheSubject", func(t *testing.T) {
		// A page rendered before the browser had kc_sub, posted after.
		ticket := pageTicket(t, s, "/consent?lang=en", browser{})
		tk, _ := s.creds.ParseTicket(ticket, time.Now())
		b := decide(t, s, "/consent", victim, with(agree, "ticket", ticket))
		rec := stored(t, b)
		assert.Equal(t, victimRec.Subject, rec.Subject, "kc_sub decides")
		assert.Equal(t, tk.ReceiptID, rec.ID, "the ticket's id is still this browser's")
		victim = b
	})
	t.Run("ErrSomeoneElsesTicketNamesNothing", func(t *testing.T) {
		// A ticket of the victim's subject (XSS, a shared screen) posted by
		// another browser joins nothing: that subject has receipts, and the
		// post has no kc_sub for it.
		ticket := pageTicket(t, s, "/consent?lang=en&open=1", victim)
		tk, _ := s.creds.ParseTicket(ticket, time.Now())
		require.Equal(t, victimRec.Subject, tk.Subject)
		b := decide(t, s, "/consent", browser{}, with(agree, "ticket", ticket))
		rec := stored(t, b)
		assert.NotEqual(t, victimRec.Subject, rec.Subject)
		assert.NotEqual(t, tk.ReceiptID, rec.ID)
	})
	t.Run("ErrForgedSubjectCookie", func(t *testing.T) {
		other, err := credential.NewKeys([]byte("another server's cookie key, 32+"))
		require.NoError(t, err)
		b := decide(t, s, "/consent", browser{sub: other.SubjectValue(victimRec.Subject)}, agree)
		assert.NotEqual(t, victimRec.Subject, stored(t, b).Subject, "a kc_sub this server did not sign is no credential")
	})
}

func TestReceiptsDownload(t *testing.T) {
	s := testServer(t)
	t.Run("ErrNoDecision", func(t *testing.T) {
		res := do(t, s, req{method: "GET", target: "/settings/privacy/receipts.json"})
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
	})
	b := decide(t, s, "/consent", browser{}, url.Values{"lang": {"zh-Hans"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"location"}})
	b = decide(t, s, "/settings/privacy", b, url.Values{"lang": {"zh-Hans"}, "action": {"save"}, "purpose": {"location", "push"}})
	t.Run("WholeChainVerifies", func(t *testing.T) {
		res := do(t, s, req{method: "GET", target: "/settings/privacy/receipts.json", cookie: b.cookie, sub: b.sub})
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Contains(t, res.Header.Get("Content-Disposition"), "attachment")
		var h receipt.History
		require.NoError(t, json.NewDecoder(res.Body).Decode(&h))
		require.Len(t, h.Receipts, 2)
		assert.NoError(t, receipt.VerifyChain(h, s.keys.JWKS()), "what kaiconn-verify -chain checks")
	})
	t.Run("ErrDecisionCookieIsNoCredential", func(t *testing.T) {
		// kc_app_consent names receipts, and receipt ids are shown in many
		// places: only kc_sub unlocks the chain.
		res := do(t, s, req{method: "GET", target: "/settings/privacy/receipts.json", cookie: b.cookie})
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

// Disagree records no consent and claims none: the stored receipt says the
// basic functions are necessary (no expiry), not given, and the gate's
// current choices and the result page say they run because the service
// needs them, not that the person allowed them (PIPL art. 13(1)(2)).
func TestDisagreeRecordsNecessityNotConsent(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	for _, tt := range []struct {
		lang, necessary, allowed, basic string
	}{
		{"zh-Hans", "为提供服务所必需", "您已允许", "基本功能（必需）"},
		{"en", "necessary to provide the service", "What you allowed", "Basic functions (required)"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			b := decide(t, s, "/consent", browser{}, url.Values{"lang": {tt.lang}, "action": {"decline"}})
			h := decoded(t, s, b.cookie)
			rec, err := s.store.Get(ctx, h[0].ReceiptID)
			require.NoError(t, err)
			env, err := receipt.Decode(rec.Body)
			require.NoError(t, err)
			assert.Equal(t, receipt.DecisionDeclined, env.Receipt.Decision)
			for _, p := range env.Receipt.Purposes {
				assert.NotEqual(t, receipt.StateGiven, p.State, "%s: a refusal gives no consent", p.ID)
				assert.Empty(t, p.ExpiresAt, p.ID)
				if p.ID == "basic" {
					assert.Equal(t, receipt.StateNecessary, p.State)
				}
			}
			assert.Equal(t, receipt.StateNecessary, rec.States["basic"], "the store keeps the state as the receipt says it")

			for _, path := range []string{"/consent?lang=" + tt.lang, "/consent/done?lang=" + tt.lang} {
				page := bodyOf(t, do(t, s, req{method: "GET", target: path, cookie: b.cookie, sub: b.sub}))
				assert.Contains(t, page, tt.necessary, path)
				if i := strings.Index(page, `id="kc-granted"`); i >= 0 {
					list := page[i : i+strings.Index(page[i:], "</ul>")]
					assert.NotContains(t, list, tt.basic, "%s: the basic functions are not among what the person allowed", path)
				}
				if v := gateState(t, page); v.Mode == "current" {
					assert.Empty(t, v.Granted, path)
					assert.Contains(t, page, tt.allowed, path)
				}
			}
		})
	}
}
