//go:build !wasm

package components

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/receipt"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGateReceiptOrder(t *testing.T) {
	t.Run("OutcomeHandsOverTheServersOrder", func(t *testing.T) {
		fake(t)
		done := askView()
		done.Mode, done.Decision = GateDone, "agreed"
		done.Bridge = &BridgeMessage{Type: BridgeType, Decision: "agreed", ReceiptID: "0b6f4f7e-0000-4000-8000-000000000000"}
		order := ReceiptOrder{Decision: consent.Decision{PolicyVersion: "2022-10", Kind: consent.KindAgreed},
			Meta: consentreceipt.Meta{ReceiptID: done.Bridge.ReceiptID}}
		body, err := json.Marshal(map[string]any{"view": done, "receipt": order})
		require.NoError(t, err)
		g := &Gate{view: askView(), loaded: true, receipt: done.Bridge.ReceiptID}
		got := g.Outcome(200, body, nil)
		require.NotNil(t, got)
		assert.Equal(t, done.Bridge.ReceiptID, got.Meta.ReceiptID)
		assert.Empty(t, g.receipt, "the next decision gets a new receipt")
	})
	t.Run("NoOrderOnError", func(t *testing.T) {
		fake(t)
		g := &Gate{view: askView(), loaded: true, receipt: "r"}
		assert.Nil(t, g.Outcome(0, nil, errors.New("offline")))
		assert.Equal(t, "r", g.receipt, "a retry names the same receipt")
	})
}

func TestGateDecideOffline(t *testing.T) {
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	t.Run("AgreeExactlyTicked", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true, adult: true, ticked: []string{"location"}, receipt: "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"}
		order := g.DecideOffline("agree", now)
		require.NotNil(t, order)
		assert.True(t, order.Decision.Granted("location"))
		assert.False(t, order.Decision.Granted("push"))
		assert.True(t, order.Decision.Granted("basic"))
		require.Len(t, f.delivered, 1, "one message to the host, offline too")
		assert.Equal(t, "agreed", f.delivered[0].Decision)
		assert.Equal(t, "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", f.delivered[0].ReceiptID)
		assert.Equal(t, map[string]bool{"basic": true, "push": false, "wechat-share": false, "location": true, "crash-reports": false, "analytics": false}, f.delivered[0].Purposes)
		assert.Equal(t, GateDone, g.view.Mode)
		// The order builds a receipt the server's rules accept.
		params, err := consentreceipt.Params(order.Decision, order.Meta, receipt.NewSubject(), "")
		require.NoError(t, err)
		_, err = receipt.Sign(receipt.New(params), receipt.GenerateEd25519Signer())
		assert.NoError(t, err)
	})
	t.Run("Decline", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true, receipt: "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b"}
		order := g.DecideOffline("decline", now)
		require.NotNil(t, order)
		assert.Equal(t, consent.KindDeclined, order.Decision.Kind)
		require.Len(t, f.delivered, 1)
		for id, granted := range f.delivered[0].Purposes {
			assert.Equal(t, id == "basic", granted, id)
		}
	})
	t.Run("NotWithoutAdult", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true, receipt: "r"}
		assert.Nil(t, g.DecideOffline("agree", now))
		assert.Empty(t, f.delivered)
	})
	t.Run("NotForAReask", func(t *testing.T) {
		f := fake(t)
		v := askView()
		v.Mode = GateReask
		g := &Gate{view: v, loaded: true, adult: true, receipt: "r"}
		assert.Nil(t, g.DecideOffline("agree", now), "a re-ask needs the decision the server holds")
		assert.Empty(t, f.delivered)
	})
}

// Without an outbox the page names no receipt, so the server attests it.
func TestGateWithoutOutbox(t *testing.T) {
	f := fake(t)
	f.noOutbox = true
	g := &Gate{view: askView(), loaded: true}
	g.Decide(app.Context{}, "decline")
	require.Len(t, f.posted, 1)
	assert.Empty(t, f.posted[0].Get("receipt"))
}
