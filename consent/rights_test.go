package consent_test

import (
	"encoding/json"
	"io/fs"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/policy"
)

const (
	shippedCat = "catalogue/" + localestest.Base + ".toml"
	shippedZh  = "policy/" + localestest.Base + "/zh-Hans.md"
	shippedEn  = "policy/" + localestest.Base + "/en.md"
)

// The rights centre, the facts and the minors rule held to the real policy:
// each case makes the catalogue or the policy say something the other does
// not, and the error names the entry, the field and, where it matters, the
// language and the clause.
func TestCheckPolicy_Rights(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []edit
		want  []string // none when the check passes
	}{
		{name: "OK"},
		{name: "OKPathWithoutThePolicysStraySpace",
			// The policy prints "【个人资料】- 【注销账户】"; spaces mean nothing
			// in Chinese, and the catalogue quotes without it.
			edits: []edit{{shippedZh, "【我的】-【设置管理】-【个人资料】- 【注销账户】", "【我的】-【设置管理】-【个人资料】-【注销账户】"}}},

		// Deadlines: the promise is the shortest the cited clauses state.
		{name: "ErrDeadlineLongerThanTheShortest",
			edits: []edit{{shippedCat, `deadline = { days = 15, clauses = ["s5-1-p2", "s5-8-p2", "s10-contact"] }`, `deadline = { days = 30, clauses = ["s5-1-p2", "s5-8-p2", "s10-contact"] }`}},
			want:  []string{`right "access"`, `deadline.days: promises 30 days, longer than the 15 days s10-contact states (zh-Hans: "十五天内")`}},
		{name: "ErrDeadlineShorterThanThePolicyStates",
			edits: []edit{{shippedCat, `deadline = { days = 15, clauses = ["s5-8-p2", "s10-contact"] }`, `deadline = { days = 10, clauses = ["s5-8-p2", "s10-contact"] }`}},
			want:  []string{`right "correction"`, `deadline.days: promises 10 days, but the shortest deadline the cited clauses state is 15 days (s10-contact, zh-Hans: "十五天内")`}},
		{name: "ErrPolicyShortensADeadline",
			// A later policy answers within ten working days: the
			// catalogue of that version must promise 10.
			edits: []edit{{shippedZh, "我们将在三十个工作日内做出答复", "我们将在十个工作日内做出答复"}},
			want:  []string{`right "access"`, `promises 15 days, longer than the 10 days s5-8-p2 states (zh-Hans: "十个工作日内")`}},
		{name: "ErrEnglishPolicyStatesALongerShortest",
			edits: []edit{{shippedEn, "respond within 15 days after verifying", "respond within 20 days after verifying"}},
			want:  []string{`right "access"`, `promises 15 days, but the shortest deadline the cited clauses state is 20 days (s10-contact, en: "within 20 days")`}},
		{name: "ErrCitedClauseStatesNoDeadline",
			edits: []edit{{shippedCat, `clauses = ["s5-8-p2", "s10-contact"] }
title.zh-Hans = "删除您的个人信息"`, `clauses = ["s5-3-p1", "s5-8-p2", "s10-contact"] }
title.zh-Hans = "删除您的个人信息"`}},
			want: []string{`right "deletion"`, `deadline.clauses (zh-Hans): s5-3-p1 states no deadline`}},
		{name: "ErrContactRouteWithoutTheContactBlock",
			edits: []edit{{shippedCat, `clauses = ["s5-10-p1", "s5-8-p2", "s10-contact"]`, `clauses = ["s5-10-p1", "s5-8-p2"]`}},
			want:  []string{`right "complaint"`, "deadline.clauses: cite s10-contact"}},
		{name: "ErrUnknownDeadlineClause",
			edits: []edit{{shippedCat, `clauses = ["s5-10-p1", "s5-8-p2", "s10-contact"]`, `clauses = ["s5-10-p9", "s5-8-p2", "s10-contact"]`}},
			want:  []string{`right "complaint"`, `deadline.clauses: "s5-10-p9" is not in the zh-Hans policy`}},

		// Quotes: the path and the 7-day effect of account deletion.
		{name: "ErrWrongPathQuote",
			edits: []edit{{shippedCat, `zh-Hans = "【我的】-【设置管理】-【个人资料】-【注销账户】"`, `zh-Hans = "【我的】-【设置】-【注销账户】"`}},
			want:  []string{`right "account-deletion"`, `path.quote (zh-Hans): "【我的】-【设置】-【注销账户】" is not in s5-9-p2`}},
		{name: "ErrPolicyMovesTheScreen",
			edits: []edit{{shippedEn, "[My] - [Settings Management] - [Personal Data] - [Account Cancellation]", "[My] - [Account] - [Account Cancellation]"}},
			want:  []string{`right "account-deletion"`, "path.quote (en)", "is not in s5-9-p2"}},
		{name: "ErrWrongEffectQuote",
			edits: []edit{{shippedCat, `zh-Hans = "申请注销后7天生效。"`, `zh-Hans = "申请注销后立即生效。"`}},
			want:  []string{`right "account-deletion"`, `effect.quote (zh-Hans): "申请注销后立即生效。" is not in s5-9-p2`}},
		{name: "ErrPolicyLengthensTheEffect",
			edits: []edit{{shippedZh, "申请注销后7天生效", "申请注销后15天生效"}},
			want:  []string{`right "account-deletion"`, "effect.quote (zh-Hans)"}},
		{name: "ErrEffectDaysNotTheQuotes",
			edits: []edit{{shippedCat, `effect = { days = 7,`, `effect = { days = 3,`}},
			want:  []string{`right "account-deletion"`, `effect.days: 3, but the quote (zh-Hans) "申请注销后7天生效。" states 7`}},
		{name: "ErrAccountDeletionWithoutPath",
			edits: []edit{{shippedCat, `path = { clause = "s5-9-p2", quote = { zh-Hans = "【我的】-【设置管理】-【个人资料】-【注销账户】", en = "[My] - [Settings Management] - [Personal Data] - [Account Cancellation]" } }
`, ``}},
			want: []string{`right "account-deletion"`, "path: quote the policy's way"}},
		{name: "ErrRequiredRightMissing",
			edits: []edit{{shippedCat, `id = "complaint"`, `id = "complaints"`}},
			want:  []string{`right "complaint": missing`}},

		// Minors: section 6 word for word, whole sentences.
		{name: "ErrMinorsNotWordForWord",
			edits: []edit{{shippedCat, `text.zh-Hans = "根据相关法律法规的规定，若您是18周岁以下的未成年人，您将无法使用我们的服务。"`, `text.zh-Hans = "若您未满18周岁，请在监护人的陪同下使用我们的服务。"`}},
			want:  []string{"minors: text (zh-Hans)", "is not in s6-p1 word for word"}},
		{name: "ErrMinorsPartOfASentence",
			edits: []edit{{shippedCat, `text.en = "According to relevant laws and regulations, if you are a minor under the age of 18, you will not be able to use our services."`, `text.en = "you will not be able to use our services."`}},
			want:  []string{"minors: text (en)", "is part of a sentence of s6-p1"}},
		{name: "ErrPolicyChangesTheAge",
			edits: []edit{{shippedZh, "若您是18周岁以下的未成年人", "若您是14周岁以下的未成年人"}},
			want:  []string{"minors: text (zh-Hans)", "word for word"}},

		// Facts.
		{name: "ErrMinorsNamesAnUndeclaredFact",
			edits: []edit{{shippedCat, `fact = "age-18"`, `fact = "age-16"`}},
			want:  []string{`minors: fact: "age-16" is not a declared [[fact]]`}},
		{name: "ErrAgeFactNotOnTheGate",
			edits: []edit{{shippedCat, `surfaces = ["first-launch"]`, `surfaces = ["settings"]`}},
			want:  []string{`minors: fact: "age-18" is not confirmed on first-launch`}},
		{name: "ErrFactCitesNoClause",
			edits: []edit{{shippedCat, `surfaces = ["first-launch"]
clause = "s6-p1"`, `surfaces = ["first-launch"]
clause = "s6-p2"`}},
			want: []string{`fact "age-18": clause: "s6-p2" is not in the zh-Hans policy`}},
		{name: "ErrFactOnUnknownSurface",
			edits: []edit{{shippedCat, `surfaces = ["first-launch"]`, `surfaces = ["first-launch", "login"]`}},
			want:  []string{`fact "age-18": surfaces: unknown surface "login"`}},

		// Form, checked on load.
		{name: "ErrUnknownTarget",
			edits: []edit{{shippedCat, `target = "feedback"`, `target = "feedback-form"`}},
			want:  []string{`right "complaint"`, `target: "feedback-form" is not a screen the app opens (profile, account-deletion, feedback)`}},
		{name: "ErrContactWithoutDeadline",
			edits: []edit{{shippedCat, `deadline = { days = 15, clauses = ["s5-10-p1", "s5-8-p2", "s10-contact"] }
`, ``}},
			want: []string{`right "complaint"`, "deadline: the contact route needs the promised response deadline"}},
		{name: "ErrNoWayToExercise",
			edits: []edit{{shippedCat, "withdraw = true\n", ""}},
			want:  []string{`right "withdraw-consent"`, "say how the right is exercised"}},
		{name: "ErrDescriptionMissingEnglish",
			edits: []edit{{shippedCat, `description.en = "You can submit a cancellation application yourself.`, `description.fr = "You can submit a cancellation application yourself.`}},
			want:  []string{`right "account-deletion"`, "description: missing en text"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkEdited(t, shipped(t), localestest.Base, tc.edits...)
			if len(tc.want) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, errs.Invalid, errs.Code(err))
			assert.Contains(t, err.Error(), "catalogue "+localestest.Base+": ", "names the catalogue")
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}

	// A contact block without a field cannot be written in a policy file
	// (the parser refuses it), but a Version is data: the check holds it
	// whatever built it.
	t.Run("ErrContactFieldMissing", func(t *testing.T) {
		for _, tc := range []struct {
			field, lang string
			blank       func(*policy.ContactInfo)
		}{
			{"email", policy.LangEN, func(c *policy.ContactInfo) { c.Email = "" }},
			{"phone", policy.LangZH, func(c *policy.ContactInfo) { c.Phone = " " }},
			{"address", policy.LangZH, func(c *policy.ContactInfo) { c.Address = "" }},
		} {
			t.Run(tc.field, func(t *testing.T) {
				v := localestest.Version(t, localestest.Base)
				tc.blank(v.Docs[tc.lang].Contact())
				err := current(t).CheckPolicy(v)
				require.Error(t, err)
				assert.Equal(t, errs.Invalid, errs.Code(err))
				assert.Contains(t, err.Error(), `right "access": contact: policy `+localestest.Base+`: contact (`+tc.lang+`): s10-contact.`+tc.field+` is missing`)
			})
		}
	})
}

// The shipped catalogue's rights centre, as the settings page will render
// it, in both languages.
func TestRights(t *testing.T) {
	cat := current(t)
	for _, lang := range consent.Languages {
		t.Run(lang, func(t *testing.T) {
			rights := cat.Rights(lang)
			var ids []string
			for _, r := range rights {
				ids = append(ids, r.ID)
				assert.NotEmpty(t, r.Title, r.ID)
				assert.NotEmpty(t, r.Description, r.ID)
				assert.NotEmpty(t, r.Sections, r.ID)
				// Every entry sends its message or shows its deadline (or
				// is the page's own withdrawal).
				assert.True(t, r.Target != "" || r.DeadlineDays > 0 || r.Withdraw, r.ID)
				if r.Contact {
					assert.Equal(t, 15, r.DeadlineDays, "%s: the shortest deadline of the policy", r.ID)
					assert.Contains(t, r.DeadlineClauses, policy.ContactClause, r.ID)
				}
			}
			assert.Equal(t, consent.RequiredRights, ids, "every right, in display order")
		})
	}

	t.Run("AccountDeletion", func(t *testing.T) {
		zh, ok := cat.Right("account-deletion", consent.LangZhHans)
		require.True(t, ok)
		assert.Equal(t, consent.TargetAccountDeletion, zh.Target)
		assert.Equal(t, "【我的】-【设置管理】-【个人资料】-【注销账户】", zh.Path)
		assert.Equal(t, "申请注销后7天生效。", zh.Effect)
		assert.Equal(t, 7, zh.EffectDays)
		assert.Equal(t, "s5-9-p2", zh.PathClause)
		assert.False(t, zh.Contact)
		en, _ := cat.Right("account-deletion", consent.LangEn)
		assert.Equal(t, "[My] - [Settings Management] - [Personal Data] - [Account Cancellation]", en.Path)
	})
	t.Run("WithdrawConsentIsThePagesOwn", func(t *testing.T) {
		r, ok := cat.Right("withdraw-consent", consent.LangEn)
		require.True(t, ok)
		assert.True(t, r.Withdraw)
		assert.Empty(t, r.Target)
		_, sends := r.Navigate(time.Now())
		assert.False(t, sends, "no message: the page withdraws itself")
	})
	t.Run("NavigateMessage", func(t *testing.T) {
		r, _ := cat.Right("complaint", consent.LangZhHans)
		msg, ok := r.Navigate(time.Date(2026, 11, 29, 12, 27, 33, 412_345_000, time.FixedZone("CST", 8*3600)))
		require.True(t, ok)
		b, err := json.Marshal(msg)
		require.NoError(t, err)
		assert.JSONEq(t, `{"type":"navigate","target":"feedback","at":"2026-11-29T04:27:33.412Z"}`, string(b))
	})
	t.Run("UnknownRight", func(t *testing.T) {
		_, ok := cat.Right("erasure", consent.LangEn)
		assert.False(t, ok)
	})
}

func TestMinorsAndFacts(t *testing.T) {
	cat := current(t)
	lib := localestest.Library(t, localestest.Base)
	for _, lang := range consent.Languages {
		t.Run(lang, func(t *testing.T) {
			m, ok := cat.Minors(lang)
			require.True(t, ok)
			assert.Equal(t, "s6-p1", m.Clause)
			assert.Equal(t, consent.FactAge18, m.Fact.ID)
			f, ok := cat.Fact(consent.SurfaceFirstLaunch, consent.FactAge18, lang)
			require.True(t, ok)
			assert.Equal(t, f, m.Fact)
			assert.Equal(t, []consent.Fact{f}, cat.Facts(consent.SurfaceFirstLaunch, lang))
			assert.Empty(t, cat.Facts(consent.SurfaceSettings, lang), "settings asks no fact")
			assert.Empty(t, cat.Facts(consent.SurfaceWebBanner, lang))
			// The sentence is the policy's, words and numbers alike.
			d, _ := lib.Latest().Doc(lang)
			assert.Contains(t, d.PlainText("s6-p1"), "18")
			assert.Contains(t, m.Text, "18")
		})
	}
	zh, _ := cat.Minors(consent.LangZhHans)
	assert.Equal(t, "根据相关法律法规的规定，若您是18周岁以下的未成年人，您将无法使用我们的服务。", zh.Text, "full-width punctuation")
	assert.Equal(t, "我确认我已年满18周岁", zh.Fact.Statement)
	assert.Equal(t, []consent.Surface{consent.SurfaceFirstLaunch}, cat.FactSurfaces(consent.FactAge18))
	assert.Nil(t, cat.FactSurfaces("age-16"))
}

// A decision confirms only facts its surface declares, and only by
// agreeing.
func TestCheckDecision_Confirmed(t *testing.T) {
	cat := current(t)
	now := time.Date(2026, 11, 29, 4, 30, 0, 0, time.UTC)
	agreed, err := consent.Agree(cat, consent.SurfaceFirstLaunch, nil, consent.LangEn, now)
	require.NoError(t, err)
	declined, err := consent.Decline(cat, consent.SurfaceFirstLaunch, consent.LangEn, now)
	require.NoError(t, err)
	settings, err := consent.Agree(cat, consent.SurfaceSettings, nil, consent.LangEn, now)
	require.NoError(t, err)
	for _, tc := range []struct {
		name      string
		d         consent.Decision
		confirmed []string
		want      string
	}{
		{"OKAgreedAge18", agreed, []string{"age-18"}, ""},
		{"OKNone", declined, nil, ""},
		{"ErrDeclined", declined, []string{"age-18"}, "confirmed: a declined decision confirms no fact"},
		{"ErrUndeclared", agreed, []string{"age-16"}, `confirmed[0]: policy ` + localestest.Base + ` declares no fact "age-16"`},
		{"ErrOtherSurface", settings, []string{"age-18"}, `confirmed[0]: fact "age-18" is confirmed on first-launch, not on settings`},
		{"ErrTwice", agreed, []string{"age-18", "age-18"}, `confirmed[1]: fact "age-18" is listed twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.d
			d.Confirmed = tc.confirmed
			err := cat.CheckDecision(d)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, errs.Unprocessable, errs.Code(err))
			assert.Contains(t, errs.Message(err), tc.want)
		})
	}
}

// Facts are no purposes: adding, rewording or removing them changes no
// purpose's hash, so nobody is asked again for their consent.
func TestHashIgnoresRightsAndFacts(t *testing.T) {
	base := current(t)
	m := shipped(t)
	apply(t, m,
		edit{shippedCat, `statement.en = "I confirm that I am 18 years of age or older"`, `statement.en = "I am 18 or older"`},
		edit{shippedCat, `title.en = "Complaints and reports"`, `title.en = "Complaints"`})
	sub, err := fs.Sub(m, "catalogue")
	require.NoError(t, err)
	cat, err := consent.LoadCatalogue(sub, localestest.Base)
	require.NoError(t, err)
	for _, p := range cat.Purposes(consent.SurfaceFirstLaunch) {
		was, _ := base.Purpose(consent.SurfaceFirstLaunch, p.ID)
		assert.Equal(t, was.Hash, p.Hash, p.ID)
	}
}
