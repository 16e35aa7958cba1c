package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every decision on the app's surfaces becomes a receipt: the server attests
// those posted without the wasm; the wasm's device signs its own.
func TestAppDecisionReceipts(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	agree := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}}

	t.Run("FormPostIsServerAttested", func(t *testing.T) {
		res := do(t, s, req{method: "POST", target: "/consent", form: agree})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		h := decoded(t, s, appCookie(res).Value)
		rec, err := s.store.Get(ctx, h[0].ReceiptID)
		require.NoError(t, err, "the receipt named in the cookie is stored")
		env, err := receipt.Decode(rec.Body)
		require.NoError(t, err)
		assert.Equal(t, receipt.AttestationServer, env.Attestation)
		assert.Equal(t, "first-launch", env.Receipt.Surface)
		assert.NoError(t, receipt.VerifyCountersigned(rec.Body, []byte(rec.Countersig), s.keys.JWKS()))

		// A later choice in settings joins the same subject's chain.
		res = do(t, s, req{method: "POST", target: "/settings/privacy", cookie: appCookie(res).Value,
			form: url.Values{"lang": {"en"}, "action": {"withdraw-all"}}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		h2 := decoded(t, s, appCookie(res).Value)
		rec2, err := s.store.Get(ctx, h2[0].ReceiptID)
		require.NoError(t, err)
		assert.Equal(t, rec.Subject, rec2.Subject)
		assert.Equal(t, rec.Hash, rec2.PrevHash)
		env2, err := receipt.Decode(rec2.Body)
		require.NoError(t, err)
		assert.Equal(t, "withdrawn", env2.Receipt.Decision)
	})

	t.Run("WasmPostLeavesTheReceiptToTheDevice", func(t *testing.T) {
		id := "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"
		form := url.Values{"receipt": {id}}
		for k, v := range agree {
			form[k] = v
		}
		res := do(t, s, req{method: "POST", target: "/consent", form: form, header: map[string]string{"Accept": "application/json"}})
		require.Equal(t, http.StatusOK, res.StatusCode)
		var out gateOutcome
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		require.NotNil(t, out.Receipt)
		assert.Equal(t, id, out.View.Bridge.ReceiptID)
		assert.Equal(t, id, out.Receipt.Meta.ReceiptID)
		_, err := s.store.Get(ctx, id)
		assert.Equal(t, errs.NotFound, errs.Code(err), "the server does not attest what the device will sign")

		// What the server hands the device is exactly what the server's
		// validator accepts once signed.
		params, err := consentreceipt.Params(out.Receipt.Decision, out.Receipt.Meta, receipt.NewSubject(), "")
		require.NoError(t, err)
		signed, err := receipt.Sign(receipt.New(params), receipt.GenerateEd25519Signer())
		require.NoError(t, err)
		assert.NoError(t, s.validator.Validate(signed, ""))
	})

	t.Run("ErrBadReceiptID", func(t *testing.T) {
		form := url.Values{"receipt": {"not-a-uuid"}}
		for k, v := range agree {
			form[k] = v
		}
		res := do(t, s, req{method: "POST", target: "/consent", form: form})
		assert.Equal(t, http.StatusBadRequest, res.StatusCode)
		assert.Nil(t, appCookie(res), "nothing remembered")
	})
}

func TestReceiptsDownload(t *testing.T) {
	s := testServer(t)
	t.Run("ErrNoDecision", func(t *testing.T) {
		res := do(t, s, req{method: "GET", target: "/settings/privacy/receipts.json"})
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
	})
	t.Run("WholeChainVerifies", func(t *testing.T) {
		res := do(t, s, req{method: "POST", target: "/consent", form: url.Values{"lang": {"zh-Hans"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"location"}}})
		cookie := appCookie(res).Value
		res = do(t, s, req{method: "POST", target: "/settings/privacy", cookie: cookie, form: url.Values{"lang": {"zh-Hans"}, "action": {"save"}, "purpose": {"location", "push"}}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		res = do(t, s, req{method: "GET", target: "/settings/privacy/receipts.json", cookie: appCookie(res).Value})
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Contains(t, res.Header.Get("Content-Disposition"), "attachment")
		var h receipt.History
		require.NoError(t, json.NewDecoder(res.Body).Decode(&h))
		require.Len(t, h.Receipts, 2)
		assert.NoError(t, receipt.VerifyChain(h, s.keys.JWKS()), "what kaiconn-verify -chain checks")
	})
}
