package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/web/pipeline"
)

// readOrder decodes the order of an answer's "receipt" member.
func readOrder(t *testing.T, raw json.RawMessage) *consentreceipt.Order {
	t.Helper()
	require.NotEmpty(t, raw, "the answer carries an order")
	var o consentreceipt.Order
	require.NoError(t, json.Unmarshal(raw, &o))
	require.Equal(t, consentreceipt.OrderVersion, o.V)
	return &o
}

// signOrder signs the receipt of order o as outbox.js does, the order's
// bytes as they are, and checks it as the server would on receiving it.
// head and headHash are the subject's previous receipt, nil and "" for none.
func signOrder(t *testing.T, s *Server, o *consentreceipt.Order, signer receipt.Signer, head *consentreceipt.Head, headHash string) *receipt.Signed {
	t.Helper()
	r, err := o.Unsigned()
	require.NoError(t, err)
	canon, err := r.Canonical()
	require.NoError(t, err)
	require.Equal(t, string(o.Receipt), string(canon), "the order holds the canonical bytes the device signs")
	signed, err := receipt.Sign(r, signer)
	require.NoError(t, err)
	require.NoError(t, s.validator.Validate(signed, headHash))
	require.NoError(t, consentreceipt.Check(s.catalogues[r.Policy.Version], &signed.Receipt, head, time.Now()))
	return signed
}

// postReceipt posts envelope to the receipt API with ticket, as outbox.js
// does.
func postReceipt(t *testing.T, s *Server, envelope []byte, ticket string) (int, []byte) {
	t.Helper()
	hr := httptest.NewRequest(http.MethodPost, "/api/v1/receipts", bytes.NewReader(envelope))
	hr.Header.Set("Content-Type", "application/json")
	if ticket != "" {
		hr.Header.Set(api.TicketHeader, ticket)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, hr)
	b, err := io.ReadAll(w.Result().Body)
	require.NoError(t, err)
	return w.Code, b
}

// TestOrderIsWhatTheAPIAccepts walks one browser through the decisions
// whose receipts its device signs (the wasm posts device=1): what the
// server puts in each order, signed as it is by the device key, is what
// the receipt API accepts and countersigns, chained to the one before.
func TestOrderIsWhatTheAPIAccepts(t *testing.T) {
	s := testServer(t)
	signer := receipt.GenerateEd25519Signer()
	accept := map[string]string{"Accept": "application/json"}
	var b browser
	ticket := pageTicket(t, s, "/consent?lang=en", b)
	var head *consentreceipt.Head
	prevHash := ""
	for _, step := range []struct {
		name, target string
		form         url.Values
		kind         string
		states       map[string]string
	}{
		{"GateAgree", "/consent", url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}}, receipt.DecisionAgreed,
			map[string]string{"basic": receipt.StateNecessary, "push": receipt.StateGiven, "location": receipt.StateRefused}},
		{"SettingsSave", "/settings/privacy", url.Values{"lang": {"zh-Hans"}, "action": {"save"}, "purpose": {"push", "location"}}, receipt.DecisionUpdated,
			map[string]string{"basic": receipt.StateNecessary, "push": receipt.StateGiven, "location": receipt.StateGiven}},
		{"SettingsWithdrawAll", "/settings/privacy", url.Values{"lang": {"en"}, "action": {"withdraw-all"}}, receipt.DecisionWithdrawn,
			map[string]string{"basic": receipt.StateNecessary, "push": receipt.StateWithdrawn, "location": receipt.StateWithdrawn, "analytics": receipt.StateRefused}},
	} {
		t.Run(step.name, func(t *testing.T) {
			form := with(step.form, "ticket", ticket, "device", "1")
			res := do(t, s, req{method: "POST", target: step.target, form: form, cookie: b.cookie, sub: b.sub, header: accept})
			require.Equal(t, http.StatusOK, res.StatusCode)
			if c := appCookie(res); c != nil {
				b.cookie = c.Value
			}
			if c := subCookie(res); c != nil {
				b.sub = c.Value
			}
			var out struct {
				View struct {
					Ticket string
					Bridge struct{ ReceiptID string }
				}
				Receipt json.RawMessage
			}
			require.NoError(t, jsonDecode(res.Body, &out))
			o := readOrder(t, out.Receipt)
			assert.Equal(t, []string{"basic"}, o.Required)
			signed := signOrder(t, s, o, signer, head, prevHash)
			r := signed.Receipt
			pageTk, err := s.creds.ParseTicket(ticket, time.Now())
			require.NoError(t, err)
			orderTk, err := s.creds.ParseTicket(o.Ticket, time.Now())
			require.NoError(t, err)
			assert.Equal(t, pageTk.ReceiptID, orderTk.ReceiptID, "the page's receipt id")
			assert.Equal(t, r.Subject, orderTk.Subject, "the device sends it beside kc_sub, so its key may join the subject")
			assert.Equal(t, out.View.Bridge.ReceiptID, r.ID, "the receipt id the host app got")
			assert.Equal(t, prevHash, r.PrevHash, "chained to the subject's head")
			assert.Equal(t, step.kind, r.Decision)
			for id, want := range step.states {
				assert.Equal(t, want, consentreceipt.HeadOf(&r).States[id], id)
			}
			_, err = s.store.Get(t.Context(), r.ID)
			assert.Error(t, err, "the server does not attest what the device signs")

			canon, err := signed.Canonical()
			require.NoError(t, err)
			status, body := postReceipt(t, s, canon, o.Ticket)
			require.Equal(t, http.StatusCreated, status, "%s", body)
			var ack struct{ ID, Hash, Countersignature string }
			require.NoError(t, jsonDecode(bytes.NewReader(body), &ack))
			assert.Equal(t, r.ID, ack.ID)
			assert.Equal(t, receipt.HashBytes(canon), ack.Hash)
			assert.NotEmpty(t, ack.Countersignature)
			prevHash, head = ack.Hash, consentreceipt.HeadOf(&r)
			ticket = out.View.Ticket
			require.NotEmpty(t, ticket, "the answer carries the next decision's ticket")
		})
	}
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

// The settings page loads the device outbox as a script of its own, at
// its content-hashed URL, so that receipts an earlier visit left pending
// are sent even when the wasm never loads; no inline script (CSP).
func TestSettingsLoadsTheOutbox(t *testing.T) {
	s := testServer(t)
	h := s.Handler()
	page := getPage(t, h, "/settings/privacy?lang=en").Body.String()
	m := regexp.MustCompile(`<script src="(/static/outbox\.[0-9a-f]{12}\.js)" defer></script>`).FindStringSubmatch(page)
	require.NotNil(t, m, "the settings page names outbox.js at its hashed URL")
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(tag, ` src="`) {
			assert.Contains(t, tag, `type="application/json"`, "no inline script, only data")
		}
	}
	want, err := pipeline.Build(staticFS(t), "outbox.js")
	require.NoError(t, err)
	w := getPage(t, h, m[1], "Accept-Encoding", "")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, string(want), w.Body.String())
}
