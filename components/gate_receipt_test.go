//go:build !wasm

package components

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/notice"
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
		done.Ticket = "next"
		order := ReceiptOrder{Decision: consent.Decision{PolicyVersion: "2022-10", Kind: consent.KindAgreed},
			Meta: consentreceipt.Meta{ReceiptID: done.Bridge.ReceiptID, Ticket: testTicket}, Subject: "sub_abcdefghijklmnopqrstuvwxyz"}
		body, err := json.Marshal(map[string]any{"view": done, "receipt": order})
		require.NoError(t, err)
		g := &Gate{view: askView(), loaded: true}
		got := g.Outcome(200, body, nil)
		require.NotNil(t, got)
		assert.Equal(t, done.Bridge.ReceiptID, got.Meta.ReceiptID)
		assert.Equal(t, order.Subject, got.Subject, "the subject the server recorded the decision for")
		assert.Equal(t, testTicket, got.Meta.Ticket)
		assert.Equal(t, "next", g.view.Ticket, "the next decision posts the server's next ticket")
	})
	t.Run("NoOrderOnError", func(t *testing.T) {
		fake(t)
		g := &Gate{view: askView(), loaded: true}
		assert.Nil(t, g.Outcome(0, nil, errors.New("offline")))
		assert.Equal(t, testTicket, g.view.Ticket, "a retry posts the same ticket")
	})
}

func TestGateDecideOffline(t *testing.T) {
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	cat, err := consent.LoadCatalogue(catalogue.FS, "2022-10")
	require.NoError(t, err)
	t.Run("AgreeExactlyTicked", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true, adult: true, ticked: []string{"location"}}
		order := g.DecideOffline("agree", now)
		require.NotNil(t, order)
		assert.True(t, order.Decision.Granted("location"))
		assert.False(t, order.Decision.Granted("push"))
		assert.True(t, order.Decision.Granted("basic"))
		require.Len(t, f.delivered, 1, "one message to the host, offline too")
		assert.Equal(t, "agreed", f.delivered[0].Decision)
		assert.Equal(t, "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", f.delivered[0].ReceiptID, "the id of the page's ticket")
		assert.Equal(t, "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", order.Meta.ReceiptID)
		assert.Equal(t, testTicket, order.Meta.Ticket, "sent with the receipt, so the server can tell it minted the id")
		assert.Empty(t, order.Subject, "offline, the device keeps its own subject")
		assert.Empty(t, g.view.Ticket, "the ticket is used")
		assert.Equal(t, map[string]bool{"basic": true, "push": false, "wechat-share": false, "location": true, "crash-reports": false, "analytics": false}, f.delivered[0].Purposes)
		assert.Equal(t, GateDone, g.view.Mode)
		// The order builds a kaiconn-receipt/2 receipt the catalogue check
		// accepts.
		assert.Equal(t, notice.For(cat, consent.SurfaceFirstLaunch, "en"), order.Meta.Notice)
		params, err := consentreceipt.Params(order.Decision, order.Meta, receipt.NewSubject(), "")
		require.NoError(t, err)
		s, err := receipt.Sign(receipt.New(params), receipt.GenerateEd25519Signer())
		require.NoError(t, err)
		assert.Equal(t, receipt.SchemaV2, s.Receipt.Schema)
		assert.NoError(t, consentreceipt.Check(cat, &s.Receipt, nil, now))
	})
	t.Run("Decline", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true}
		order := g.DecideOffline("decline", now)
		require.NotNil(t, order)
		assert.Equal(t, consent.KindDeclined, order.Decision.Kind)
		require.Len(t, f.delivered, 1)
		for id, granted := range f.delivered[0].Purposes {
			assert.Equal(t, id == "basic", granted, id)
		}
	})
	t.Run("WithoutTicketAFreshID", func(t *testing.T) {
		fake(t)
		v := askView()
		v.Ticket = ""
		g := &Gate{view: v, loaded: true}
		order := g.DecideOffline("decline", now)
		require.NotNil(t, order)
		assert.Len(t, order.Meta.ReceiptID, 36)
		assert.Empty(t, order.Meta.Ticket)
	})
	t.Run("NotWithoutAdult", func(t *testing.T) {
		f := fake(t)
		g := &Gate{view: askView(), loaded: true}
		assert.Nil(t, g.DecideOffline("agree", now))
		assert.Empty(t, f.delivered)
	})
	t.Run("NotForAReask", func(t *testing.T) {
		f := fake(t)
		v := askView()
		v.Mode = GateReask
		g := &Gate{view: v, loaded: true, adult: true}
		assert.Nil(t, g.DecideOffline("agree", now), "a re-ask needs the decision the server holds")
		assert.Empty(t, f.delivered)
	})
}

// Without an outbox the server attests the decision: the post says nothing
// of a device.
func TestGateWithoutOutbox(t *testing.T) {
	f := fake(t)
	f.noOutbox = true
	g := &Gate{view: askView(), loaded: true}
	g.Decide(app.Context{}, "decline")
	require.Len(t, f.posted, 1)
	assert.Empty(t, f.posted[0].Get("device"))
	assert.Empty(t, f.posted[0].Get("receipt"), "never a client-named receipt id")
	assert.Equal(t, testTicket, f.posted[0].Get("ticket"))
}
