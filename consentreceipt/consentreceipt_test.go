package consentreceipt_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/errs"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParams(t *testing.T) {
	cat, err := consent.LoadCatalogue(catalogues.FS, localestest.Base)
	require.NoError(t, err)
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	agreed, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "location"}, consent.LangEn, at)
	require.NoError(t, err)
	meta := consentreceipt.Meta{
		ReceiptID:    "2f1d7e2c-6a51-4f57-9a4e-1c0de5a1b2c3",
		PolicySHA256: sha,
		Purposes:     consentreceipt.Purposes(cat, consent.SurfaceFirstLaunch, consent.LangEn),
	}
	subject := receipt.NewSubject()
	state := func(p receipt.Params, id string) string {
		for _, pp := range p.Purposes {
			if pp.ID == id {
				return pp.State
			}
		}
		return "absent"
	}

	t.Run("OK", func(t *testing.T) {
		p, err := consentreceipt.Params(agreed, meta, subject, "")
		require.NoError(t, err)
		s, err := receipt.Sign(receipt.New(p), receipt.GenerateEd25519Signer())
		require.NoError(t, err, "the mapped decision must make a valid receipt")
		r := s.Receipt
		assert.Equal(t, meta.ReceiptID, r.ID)
		assert.Equal(t, receipt.SurfaceFirstLaunch, r.Surface)
		assert.Equal(t, receipt.DecisionAgreed, r.Decision)
		assert.Equal(t, "2022-10", r.Policy.Version)
		assert.Equal(t, "2026-03-01T08:00:00.000Z", r.IssuedAt)
		require.Len(t, r.Purposes, len(agreed.Choices))
		for _, p := range r.Purposes {
			switch p.ID {
			case "basic", "push", "location":
				assert.Equal(t, receipt.StateGiven, p.State, p.ID)
				assert.Equal(t, "2027-03-01T08:00:00.000Z", p.ExpiresAt, p.ID)
			default:
				assert.Equal(t, receipt.StateRefused, p.State, p.ID)
				assert.Empty(t, p.ExpiresAt, p.ID)
			}
		}
		push := r.Purposes[indexOf(r.Purposes, "push")]
		assert.Equal(t, "Getui (Daily Interactive Co., Ltd.) — Getui (igexin) SDK", push.Recipient)
		assert.Equal(t, receipt.ConsentTypeSeparate, push.ConsentType)
		assert.Equal(t, []string{"Device identifier", "location information", "MAC address", "SD card storage permissions"}, push.DataCategories)
		assert.Equal(t, consentreceipt.WithdrawText(consent.LangEn), push.Withdraw.Text)
		basic := r.Purposes[indexOf(r.Purposes, "basic")]
		assert.Equal(t, consentreceipt.RequiredText(consent.LangEn), basic.Withdraw.Text)
		assert.Contains(t, basic.Withdraw.Text, "cannot be withdrawn")
	})

	t.Run("Withdrawn", func(t *testing.T) {
		withdrawn, err := consent.Withdraw(cat, agreed, consent.SurfaceSettings, consent.LangEn, at.Add(time.Hour), "push")
		require.NoError(t, err)
		m := meta
		m.Previous = &agreed
		p, err := consentreceipt.Params(withdrawn, m, subject, sha)
		require.NoError(t, err)
		assert.Equal(t, receipt.StateWithdrawn, state(p, "push"), "granted before, refused now")
		assert.Equal(t, receipt.StateRefused, state(p, "analytics"), "never granted")
		assert.Equal(t, receipt.StateGiven, state(p, "location"))
		assert.Equal(t, sha, p.PrevHash)

		m.Previous = nil
		p, err = consentreceipt.Params(withdrawn, m, subject, sha)
		require.NoError(t, err)
		assert.Equal(t, receipt.StateRefused, state(p, "push"), "without the previous decision nothing shows a withdrawal")
	})

	t.Run("WebBannerCookies", func(t *testing.T) {
		d, err := consent.Agree(cat, consent.SurfaceWebBanner, []consent.PurposeID{"preferences"}, consent.LangZhHans, at)
		require.NoError(t, err)
		m := meta
		m.Purposes = consentreceipt.Purposes(cat, consent.SurfaceWebBanner, consent.LangZhHans)
		p, err := consentreceipt.Params(d, m, subject, "")
		require.NoError(t, err)
		_, err = receipt.Sign(receipt.New(p), receipt.GenerateES256Signer())
		require.NoError(t, err)
		assert.Equal(t, []string{"kc_pref_*", "kc_lang"}, m.Purposes["preferences"].DataCategories)
		assert.Equal(t, []string{"kc_consent", "kc_sub"}, m.Purposes["necessary"].DataCategories,
			"the language cookie is a preference cookie: set only on the person's explicit choice once preferences are allowed")
	})

	t.Run("ErrMissingPurpose", func(t *testing.T) {
		m := meta
		m.Purposes = consentreceipt.Purposes(cat, consent.SurfaceWebBanner, consent.LangEn)
		_, err := consentreceipt.Params(agreed, m, subject, "")
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.Contains(t, errs.Message(err), "meta.purposes[basic]")
	})

	t.Run("OKV3", func(t *testing.T) {
		m := meta
		m.Purposes = nil // v2 and v3 name their texts by notice only
		m.Notice = notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn)
		m.Confirmed = []string{"b-fact", "a-fact"}
		m.Ticket = "t1.not-part-of-the-receipt"
		p, err := consentreceipt.Params(agreed, m, subject, "")
		require.NoError(t, err)
		s, err := receipt.Sign(receipt.New(p), receipt.GenerateEd25519Signer())
		require.NoError(t, err, "the mapped decision must make a valid v3 receipt")
		r := s.Receipt
		assert.Equal(t, receipt.SchemaV3, r.Schema)
		assert.Equal(t, m.Notice, r.Notice)
		assert.Equal(t, receipt.Controller{}, r.Controller, "the notice names the controller")
		assert.Equal(t, []string{"a-fact", "b-fact"}, r.Confirmed, "facts in a canonical order")
		require.Len(t, r.Purposes, len(agreed.Choices))
		for i, c := range agreed.Choices {
			got := r.Purposes[i]
			assert.Equal(t, string(c.Purpose), got.ID, "in the decision's id order")
			switch {
			case c.Required:
				assert.Equal(t, receipt.StateNecessary, got.State, "%s rests on necessity, not consent", got.ID)
				assert.Empty(t, got.ExpiresAt, "necessity does not expire")
			case c.Granted:
				assert.Equal(t, receipt.StateGiven, got.State, got.ID)
				assert.Equal(t, "2027-03-01T08:00:00.000Z", got.ExpiresAt, got.ID)
			default:
				assert.Equal(t, receipt.StateRefused, got.State, got.ID)
				assert.Empty(t, got.ExpiresAt, got.ID)
			}
		}
		assert.NotContains(t, string(must(s.Canonical())), "t1.", "the ticket travels beside the receipt, not in it")
	})

	// A declined decision records no consent at all: the required
	// processing is necessary, every optional purpose refused. Before
	// kaiconn-receipt/3 it said basic "given" with an expiry, a consent the
	// person who pressed Disagree never gave.
	t.Run("DeclinedGivesNothing", func(t *testing.T) {
		declined, err := consent.Decline(cat, consent.SurfaceFirstLaunch, consent.LangZhHans, at)
		require.NoError(t, err)
		m := meta
		m.Notice = notice.For(cat, consent.SurfaceFirstLaunch, consent.LangZhHans)
		p, err := consentreceipt.Params(declined, m, subject, "")
		require.NoError(t, err)
		r := receipt.New(p)
		_, err = receipt.Attest(r)
		require.NoError(t, err)
		for _, pp := range r.Purposes {
			assert.NotEqual(t, receipt.StateGiven, pp.State, pp.ID)
			assert.Empty(t, pp.ExpiresAt, pp.ID)
		}
		assert.Equal(t, receipt.StateNecessary, state(p, "basic"))
	})

	t.Run("V2AsBefore", func(t *testing.T) {
		// What a client of kaiconn-receipt/2 built, and the server read:
		// the required processing given, with an expiry.
		m := meta
		m.Notice = notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn)
		m.Schema = receipt.SchemaV2
		p, err := consentreceipt.Params(agreed, m, subject, "")
		require.NoError(t, err)
		r := receipt.New(p)
		_, err = receipt.Attest(r)
		require.NoError(t, err)
		assert.Equal(t, receipt.SchemaV2, r.Schema)
		assert.Equal(t, receipt.StateGiven, state(p, "basic"))
	})

	t.Run("V2Withdrawn", func(t *testing.T) {
		withdrawn, err := consent.Withdraw(cat, agreed, consent.SurfaceSettings, consent.LangEn, at.Add(time.Hour), "push")
		require.NoError(t, err)
		m := meta
		m.Notice = notice.For(cat, consent.SurfaceSettings, consent.LangEn)
		m.Previous = &agreed
		p, err := consentreceipt.Params(withdrawn, m, subject, sha)
		require.NoError(t, err)
		assert.Equal(t, receipt.StateWithdrawn, state(p, "push"))
		assert.Equal(t, receipt.StateRefused, state(p, "analytics"))
	})

	t.Run("V2DecisionConfirmed", func(t *testing.T) {
		// The server and the gate put the facts on the decision; a client
		// that still names them in meta gets the same receipt, each once.
		d := agreed
		d.Confirmed = []string{"age-18"}
		m := meta
		m.Notice = notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn)
		p, err := consentreceipt.Params(d, m, subject, "")
		require.NoError(t, err)
		assert.Equal(t, []string{"age-18"}, p.Confirmed)
		m.Confirmed = []string{"age-18"}
		p, err = consentreceipt.Params(d, m, subject, "")
		require.NoError(t, err)
		assert.Equal(t, []string{"age-18"}, p.Confirmed)
	})

	t.Run("ErrDecisionConfirmedInV1", func(t *testing.T) {
		d := agreed
		d.Confirmed = []string{"age-18"}
		_, err := consentreceipt.Params(d, meta, subject, "")
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.Contains(t, errs.Message(err), "meta.confirmed")
	})

	t.Run("ErrConfirmedInV1", func(t *testing.T) {
		m := meta
		m.Confirmed = []string{"age-18"}
		_, err := consentreceipt.Params(agreed, m, subject, "")
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.Contains(t, errs.Message(err), "meta.confirmed")
	})

	t.Run("MetaJSON", func(t *testing.T) {
		// The outbox keeps Meta as JSON: a v1 Meta stored before v2 reads
		// back as v1, and a v2 Meta keeps its references.
		b, err := json.Marshal(meta)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "notice")
		m := meta
		m.Notice = notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn)
		b, err = json.Marshal(m)
		require.NoError(t, err)
		var back consentreceipt.Meta
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, m.Notice, back.Notice)
	})

	t.Run("ErrNoReceiptID", func(t *testing.T) {
		m := meta
		m.ReceiptID = ""
		_, err := consentreceipt.Params(agreed, m, subject, "")
		assert.Equal(t, errs.Invalid, errs.Code(err))
		assert.Contains(t, errs.Message(err), "meta.receiptId")
	})
}

// TestPurposes shows that what a v1 receipt inlines of a purpose is what
// its notice says.
func TestPurposes(t *testing.T) {
	cat, err := consent.LoadCatalogue(catalogues.FS, localestest.Base)
	require.NoError(t, err)
	for _, surface := range consent.Surfaces {
		for _, lang := range consent.Languages {
			got := consentreceipt.Purposes(cat, surface, lang)
			ps := cat.Purposes(surface)
			require.Len(t, got, len(ps))
			for _, p := range ps {
				n := notice.NewPurpose(cat.Version(), p, lang)
				assert.Equal(t, n.Recipient, got[p.ID].Recipient, "%s %s %s", surface, lang, p.ID)
				assert.Equal(t, n.DataCategories, got[p.ID].DataCategories, "%s %s %s", surface, lang, p.ID)
				assert.Equal(t, n.ConsentType, got[p.ID].ConsentType)
				assert.Equal(t, n.Required, got[p.ID].Required)
			}
		}
	}
	assert.Equal(t, notice.WithdrawText(consent.LangEn), consentreceipt.WithdrawText(consent.LangEn))
	assert.Equal(t, notice.RequiredText(consent.LangZhHans), consentreceipt.RequiredText(consent.LangZhHans))
}

func TestSameAudience(t *testing.T) {
	assert.True(t, consentreceipt.SameAudience(consent.SurfaceFirstLaunch, consent.SurfaceSettings))
	assert.True(t, consentreceipt.SameAudience(consent.SurfaceWebBanner, consent.SurfaceWebBanner))
	assert.False(t, consentreceipt.SameAudience(consent.SurfaceWebBanner, consent.SurfaceSettings))
}

func indexOf(ps []receipt.Purpose, id string) int {
	for i, p := range ps {
		if p.ID == id {
			return i
		}
	}
	return -1
}
