package server

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/receipt"
)

// bundleDevice is one device of the app bundle: its subject, its key and
// the head of the chain its outbox holds.
type bundleDevice struct {
	*person
	s        *Server
	subject  string
	signer   receipt.Signer
	head     *consentreceipt.Head
	headHash string
}

// record asks for the order of f and signs it as the device outbox does:
// moved onto the device's chain (rechain) and posted to the receipt API.
// It returns the receipt as stored.
func (d *bundleDevice) record(t *testing.T, f url.Values) receipt.Receipt {
	t.Helper()
	f.Set("subject", d.subject)
	status, body := d.order(f, bundleOrigin)
	require.Equal(t, http.StatusOK, status, body)
	var o consentreceipt.Order
	require.NoError(t, json.Unmarshal([]byte(body), &o))
	if d.headHash == "" {
		chainStart(t, &o)
	} else {
		onto(t, &o, d.headHash)
	}
	signed := signOrder(t, d.s, &o, d.signer, d.head, d.headHash)
	status, ack := d.postReceipt(signed, "Origin", bundleOrigin)
	require.Equal(t, http.StatusCreated, status, ack)
	var a struct{ Hash string }
	require.NoError(t, json.Unmarshal([]byte(ack), &a))
	d.head, d.headHash = consentreceipt.HeadOf(&signed.Receipt), a.Hash
	return signed.Receipt
}

// onto moves o onto the receipt the device's chain ends with, as the
// outbox's rechain does. An order stated against the host's state that
// the device itself made needs nothing else: the test holds that by
// signing what it gives, which the receipt API then checks against the
// real head (consentreceipt.Check).
func onto(t *testing.T, o *consentreceipt.Order, prevHash string) {
	t.Helper()
	r, err := o.Unsigned()
	require.NoError(t, err)
	r.PrevHash = prevHash
	o.Receipt, err = r.Canonical()
	require.NoError(t, err)
}

// chainStart does to o what the device outbox does with an order that
// shows no head when the device holds no receipt of its subject (outbox.js
// record: rechain after none; testdata/scripts/chain.json
// ChainStartsHereRefused and WithdrawalThatGivesIsAnUpdate, which hold the
// script to consentreceipt's rules): the order was stated against the
// host's state, which no receipt of this chain gave, so what it withdraws
// is refused, and a withdrawal that keeps something on is an update.
func chainStart(t *testing.T, o *consentreceipt.Order) {
	t.Helper()
	r, err := o.Unsigned()
	require.NoError(t, err)
	d := consent.Decision{Kind: consent.Kind(r.Decision)}
	for i, p := range r.Purposes {
		if p.State == receipt.StateWithdrawn {
			r.Purposes[i].State = receipt.StateRefused
		}
		d.Choices = append(d.Choices, consent.Choice{Purpose: consent.PurposeID(p.ID), Granted: p.State == receipt.StateGiven, Required: slices.Contains(o.Required, p.ID)})
	}
	r.Decision = string(consentreceipt.ConsistentKind(d, nil))
	o.Receipt, err = r.Canonical()
	require.NoError(t, err)
}

// hostState is the ?state= a host hands back: the bridge message it got.
func hostState(t *testing.T, version, decision, receiptID string, at time.Time, on ...string) string {
	t.Helper()
	purposes := map[string]bool{"basic": true, "push": false, "wechat-share": false, "location": false, "crash-reports": false, "analytics": false}
	for _, id := range on {
		purposes[id] = true
	}
	b, err := json.Marshal(consentview.BridgeMessage{V: consentview.BridgeVersion, Type: consentview.BridgeType, Decision: decision,
		PolicyVersion: version, Purposes: purposes, ReceiptID: receiptID, At: at.UTC().Format(consentview.BridgeTime)})
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

// TestBundleOrderSaysWhatTheDeviceSaid: a decision on the app bundle is
// sent to the host at the tap, decided on the device, and recorded later
// through POST /api/v1/orders. The message and the receipt say the same
// kind: a change in settings that turns some purposes off while others
// stay on is withdrawn in both, and so is a re-ask's Disagree that keeps
// answers on, once the device's chain holds the decision the host's state
// is (the device made it). Where the device's chain holds nothing, the
// receipt can only start it: a withdrawal of what no receipt gave is the
// update it is there, and nothing is lost.
func TestBundleOrderSaysWhatTheDeviceSaid(t *testing.T) {
	allowed := func(c *Config) { c.AllowedOrigins = []string{bundleOrigin} }
	states := func(r receipt.Receipt) map[string]bool {
		on := map[string]bool{}
		for id, st := range r.States() {
			on[id] = receipt.InEffect(st)
		}
		return on
	}

	t.Run("PartialWithdrawalInSettings", func(t *testing.T) {
		s := startReal(t, allowed)
		device := &bundleDevice{person: newPerson(t, s), s: s, subject: uuid.NewString(), signer: receipt.GenerateEd25519Signer()}
		gateAt := time.Now().Add(-2 * time.Hour).Truncate(time.Millisecond)
		gateID := uuid.NewString()
		device.record(t, bundleForm(gateID, "", func(f url.Values) {
			f["purpose"] = []string{"push", "location"}
			f.Set("at", strconv.FormatInt(gateAt.UnixMilli(), 10))
		}))
		state := hostState(t, localestest.Base, "agreed", gateID, gateAt, "push", "location")

		// The device decides the change as the wasm does, and sends its
		// message at the tap: location off, push stays on.
		at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
		cats := s.app.Views()
		shown, err := cats.ParseHostState(state, at)
		require.NoError(t, err)
		d, changed, err := cats.ChangeSettings([]consentview.Decision{*shown}, "save", []consent.PurposeID{"push"}, texts.En, at)
		require.NoError(t, err)
		require.True(t, changed)
		msg := consentview.Bridge(consentview.Decision{Decision: d, ReceiptID: uuid.NewString()})
		require.Equal(t, "withdrawn", msg.Decision, "a change that only turns purposes off")

		r := device.record(t, url.Values{
			"surface": {"settings"}, "action": {"save"}, "purpose": {"push"}, "lang": {"en"}, "state": {state},
			"at": {strconv.FormatInt(at.UnixMilli(), 10)}, "policyVersion": {localestest.Base}, "receipt": {msg.ReceiptID},
		})
		assert.Equal(t, msg.Decision, r.Decision, "the receipt says what the message said")
		assert.Equal(t, msg.Purposes, states(r), "and the same purposes")
		assert.Equal(t, receipt.StateWithdrawn, r.States()["location"], "what was given is withdrawn, not refused")
		assert.Equal(t, receipt.StateRefused, r.States()["analytics"])
	})

	t.Run("ReaskDisagreeKeepsAnswers", func(t *testing.T) {
		s := startReal(t, allowed, withLaterPolicy(t))
		device := &bundleDevice{person: newPerson(t, s), s: s, subject: uuid.NewString(), signer: receipt.GenerateEd25519Signer()}
		gateAt := time.Now().Add(-20 * 24 * time.Hour).Truncate(time.Millisecond)
		gateID := uuid.NewString()
		device.record(t, bundleForm(gateID, "", func(f url.Values) {
			f["purpose"] = []string{"push", "location"}
			f.Set("at", strconv.FormatInt(gateAt.UnixMilli(), 10))
		}))
		state := hostState(t, localestest.Base, "agreed", gateID, gateAt, "push", "location")

		// The re-ask the bundle shows for that state names Disagree's
		// kind, which gate.js sends at the tap.
		page := gateState(t, bodyOf(t, do(t, s, req{method: "GET", target: "/consent?lang=en&state=" + state})))
		require.Equal(t, consentview.GateReask, page.Mode)
		sent := page.Decisions[consentview.ActionDecline]
		require.Equal(t, "withdrawn", sent, "push stays on")

		r := device.record(t, bundleForm(uuid.NewString(), "", func(f url.Values) {
			f.Set("policyVersion", localestest.Later)
			f.Set("mode", "reask")
			f.Set("action", "decline")
			f.Del("adult")
			f.Del("purpose")
			f.Set("state", state)
		}))
		assert.Equal(t, sent, r.Decision, "the receipt says what the message said")
		assert.Equal(t, receipt.StateWithdrawn, r.States()["location"], "the changed purpose the person had given is withdrawn")
		assert.True(t, receipt.InEffect(r.States()["push"]), "the answer not asked again stays")
	})

	t.Run("NoChainOnTheDevice", func(t *testing.T) {
		// The host kept its state, the device lost its storage (a
		// reinstall), or a host claims a grant the chain does not hold:
		// the order, stated against that state, is no receipt the API
		// takes as the start of a chain, which cannot withdraw what no
		// receipt of it gave. The outbox starts the chain with it as the
		// update it is there.
		s := startReal(t, allowed)
		device := &bundleDevice{person: newPerson(t, s), s: s, subject: uuid.NewString(), signer: receipt.GenerateEd25519Signer()}
		at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
		state := hostState(t, localestest.Base, "agreed", uuid.NewString(), at.Add(-time.Hour), "push", "location")
		form := func() url.Values {
			return url.Values{
				"surface": {"settings"}, "action": {"save"}, "purpose": {"push"}, "lang": {"en"}, "state": {state}, "subject": {device.subject},
				"at": {strconv.FormatInt(at.UnixMilli(), 10)}, "policyVersion": {localestest.Base}, "receipt": {uuid.NewString()},
			}
		}
		status, body := device.order(form(), bundleOrigin)
		require.Equal(t, http.StatusOK, status, body)
		var o consentreceipt.Order
		require.NoError(t, json.Unmarshal([]byte(body), &o))
		unsigned, err := o.Unsigned()
		require.NoError(t, err)
		signed, err := receipt.Sign(unsigned, device.signer)
		require.NoError(t, err)
		status, refused := device.postReceipt(signed, "Origin", bundleOrigin)
		assert.Equal(t, http.StatusUnprocessableEntity, status, "a withdrawal of what no receipt gave: %s", refused)
		assert.Contains(t, refused, "did not give")
		status, _ = device.do(http.MethodGet, "/api/v1/receipts/"+unsigned.ID, nil)
		assert.Equal(t, http.StatusNotFound, status, "nothing stored")

		r := device.record(t, form())
		assert.Equal(t, receipt.DecisionUpdated, r.Decision)
		assert.Equal(t, receipt.StateRefused, r.States()["location"])
		assert.True(t, receipt.InEffect(r.States()["push"]))
	})
}
