package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// The 18+ confirmation is a fact the person confirmed, recorded in the
// receipt beside the purposes: an agreement with adult=1 records "age-18",
// whether the server attests the receipt or hands the device its order; a
// decline records no fact. The receipt's notice lists the statement.
func TestGateRecordsAgeConfirmation(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	cat := s.catalogues[localestest.Base]
	stored := func(t *testing.T, b browser) *receipt.Signed {
		t.Helper()
		rec, err := s.store.Get(ctx, decoded(t, s, b.cookie)[0].ReceiptID)
		require.NoError(t, err)
		env, err := receipt.Decode(rec.Body)
		require.NoError(t, err)
		return env
	}

	for _, lang := range consent.Languages {
		t.Run("AgreeRecordsAge18/"+lang, func(t *testing.T) {
			b := decide(t, s, "/consent", browser{}, url.Values{"lang": {lang}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}})
			env := stored(t, b)
			assert.Equal(t, receipt.DecisionAgreed, env.Receipt.Decision)
			assert.Equal(t, []string{consent.FactAge18}, env.Receipt.Confirmed)
			// The notice it names states what was confirmed, in the
			// language shown.
			shown := notice.NewShown(cat, consent.SurfaceFirstLaunch, lang)
			require.Equal(t, notice.Ref(shown), env.Receipt.Notice)
			f, ok := cat.Fact(consent.SurfaceFirstLaunch, consent.FactAge18, lang)
			require.True(t, ok)
			assert.Equal(t, []notice.ShownConfirmation{{ID: consent.FactAge18, Statement: f.Statement}}, shown.Confirmations)
		})
	}

	t.Run("DeclineRecordsNoFact", func(t *testing.T) {
		// Ticking the box and then declining still confirms nothing: the
		// decision is a refusal.
		b := decide(t, s, "/consent", browser{}, url.Values{"lang": {"en"}, "action": {"decline"}, "adult": {"1"}})
		env := stored(t, b)
		assert.Equal(t, receipt.DecisionDeclined, env.Receipt.Decision)
		assert.Nil(t, env.Receipt.Confirmed)
		body, err := json.Marshal(env.Receipt)
		require.NoError(t, err)
		assert.NotContains(t, string(body), "confirmed")
	})

	t.Run("WasmOrderCarriesAge18", func(t *testing.T) {
		for _, action := range []string{"agree", "decline"} {
			form := url.Values{"lang": {"zh-Hans"}, "action": {action}, "adult": {"1"}, "device": {"1"}}
			res := do(t, s, req{method: "POST", target: "/consent", form: form, header: map[string]string{"Accept": "application/json"}})
			require.Equal(t, http.StatusOK, res.StatusCode, action)
			var out components.Outcome[components.GateView]
			require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
			signed := signOrder(t, s, readOrder(t, out.Receipt), receipt.GenerateEd25519Signer(), nil, "")
			if action == "agree" {
				assert.Equal(t, []string{consent.FactAge18}, signed.Receipt.Confirmed, "the device's receipt records the fact")
			} else {
				assert.Nil(t, signed.Receipt.Confirmed)
			}
		}
	})

	t.Run("ErrAgreeWithoutAdultRecordsNothing", func(t *testing.T) {
		res := do(t, s, req{method: "POST", target: "/consent", form: url.Values{"lang": {"en"}, "action": {"agree"}}})
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Nil(t, appCookie(res))
	})

	t.Run("GateLabelIsTheStatement", func(t *testing.T) {
		// The statement a receipt's notice lists is the label the gate
		// shows beside the box, in each language.
		for _, lang := range consent.Languages {
			page := bodyOf(t, do(t, s, req{method: "GET", target: "/consent?lang=" + lang}))
			f, _ := cat.Fact(consent.SurfaceFirstLaunch, consent.FactAge18, lang)
			assert.Regexp(t, `<label class="kc-check kc-check--fact" for="kc-adult"><input type="checkbox" name="adult" value="1" id="kc-adult"[^>]*> <span>`+f.Statement+`</span></label>`, page, lang)
			// The sentence of policy section 6 stands beside it, word for
			// word, and nothing suggests a minor may go on with a guardian.
			m, ok := cat.Minors(lang)
			require.True(t, ok)
			assert.Contains(t, page, `<p class="kc-gate__minors" id="kc-minors">`+m.Text+`</p>`, lang)
			assert.NotContains(t, page, "监护人", lang)
			assert.NotContains(t, page, "guardian", lang)
		}
	})
}
