package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/receipt"
)

// The attacks of issue 18 on tickets, through HTTP against the real server
// (Open and Start, SQLite). docs/threat-model.md names each and these tests.

// settingsTicket renders the privacy settings as p and returns the ticket
// of its page state: for p's subject once p has one.
func (p *person) settingsTicket() string {
	p.t.Helper()
	status, page := p.do(http.MethodGet, "/settings/privacy?lang=en", nil)
	require.Equal(p.t, http.StatusOK, status)
	return settingsState(p.t, page).Ticket
}

// bannerTicket asks GET /banner/ticket as p, as embed.js on a banner origin
// does with the visitor's cookies.
func (p *person) bannerTicket() string {
	p.t.Helper()
	status, body := p.do(http.MethodGet, "/banner/ticket", nil)
	require.Equal(p.t, http.StatusOK, status, body)
	var bt bannerTicket
	require.NoError(p.t, json.Unmarshal([]byte(body), &bt))
	return bt.Ticket
}

// ticketAttack is the attack of issue 18 with a ticket of the victim's
// subject, however obtained: a fresh key, enrolled nowhere, reads the
// subject's head with the ticket, posts a receipt under the ticket's id
// chained to it ("agreed, everything given, 18+ confirmed"), then reads the
// history and appends again without a ticket. Every step is refused, and
// nothing reaches the victim's chain.
func ticketAttack(t *testing.T, s *Server, victim, attacker *person, ticket string) {
	t.Helper()
	before := victim.chain(s)
	require.NotNil(t, before)
	subject := before.Subject
	head := before.Receipts[len(before.Receipts)-1].Hash
	tk, err := s.creds.ParseTicket(ticket, time.Now())
	require.NoError(t, err)
	require.Equal(t, subject, tk.Subject, "the ticket names the victim's subject")

	key := receipt.GenerateEd25519Signer()
	status, body := attacker.do(http.MethodGet, "/api/v1/subjects/"+subject+"/head", nil,
		"Authorization", proofFor(t, attacker, subject, key), api.TicketHeader, ticket)
	assert.Equal(t, http.StatusForbidden, status, "step 2: the head is not the ticket holder's to read: %s", body)
	assert.NotContains(t, body, head)

	forged := realReceipt(t, s, key, subject, head, false, func(p *receipt.Params) {
		p.ID = tk.ReceiptID
		p.Decision = receipt.DecisionAgreed
	})
	status, body = attacker.postReceipt(forged, api.TicketHeader, ticket)
	assert.Equal(t, http.StatusUnprocessableEntity, status, "step 3: the ticket enrolls no key for a subject with receipts: %s", body)
	assert.Contains(t, body, "receipt.prevHash: not the head of this subject's chain for this key", "the one chain answer")

	status, _ = attacker.do(http.MethodGet, "/api/v1/subjects/"+subject+"/receipts", nil,
		"Authorization", proofFor(t, attacker, subject, key))
	assert.Equal(t, http.StatusForbidden, status, "step 4: the key reads no history")
	again := realReceipt(t, s, key, subject, head, false, func(p *receipt.Params) { p.Decision = receipt.DecisionUpdated })
	status, _ = attacker.postReceipt(again)
	assert.Equal(t, http.StatusUnprocessableEntity, status, "step 4: the key appends nothing")

	after := victim.chain(s)
	assert.Equal(t, ids(before), ids(after), "the victim's chain is the victim's alone")
}

// TestAttackTicketBearer is issue 18's HIGH finding: a ticket of a person
// who has decided, from their settings page or from GET /banner/ticket,
// was a bearer credential that enrolled any key for their subject through
// the API. A ticket names a subject only while it has no receipt.
func TestAttackTicketBearer(t *testing.T) {
	agree := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}}

	t.Run("ErrSettingsPageTicket", func(t *testing.T) {
		s := startReal(t)
		victim, attacker := newPerson(t, s), newPerson(t, s)
		status, _ := victim.post("/consent", with(agree, "ticket", victim.ticket()))
		require.Equal(t, http.StatusSeeOther, status)
		ticketAttack(t, s, victim, attacker, victim.settingsTicket())
	})
	t.Run("ErrBannerTicket", func(t *testing.T) {
		s := startReal(t, func(c *Config) { c.BannerOrigins = []string{"https://www.example.com"} })
		victim, attacker := newPerson(t, s), newPerson(t, s)
		status, _ := victim.post("/banner/consent", url.Values{"lang": {"en"}, "action": {"reject"}, "ticket": {victim.bannerTicket()}})
		require.Equal(t, http.StatusSeeOther, status)
		ticketAttack(t, s, victim, attacker, victim.bannerTicket())
	})
	t.Run("ErrGatePageTicket", func(t *testing.T) {
		s := startReal(t)
		victim, attacker := newPerson(t, s), newPerson(t, s)
		status, _ := victim.post("/consent", with(agree, "ticket", victim.ticket()))
		require.Equal(t, http.StatusSeeOther, status)
		status, page := victim.do(http.MethodGet, "/consent?lang=en&open=1", nil)
		require.Equal(t, http.StatusOK, status)
		ticketAttack(t, s, victim, attacker, gateState(t, page).Ticket)
	})
	t.Run("OKOwnBrowserJoinsItsDevice", func(t *testing.T) {
		// The settings page's device (the outbox) signs for the subject its
		// browser holds kc_sub for: the browser's own subject credential
		// admits the key, the ticket names the receipt. Reading the head
		// to rebuild on works the same way.
		s := startReal(t)
		victim := newPerson(t, s)
		status, _ := victim.post("/consent", with(agree, "ticket", victim.ticket()))
		require.Equal(t, http.StatusSeeOther, status)
		h := victim.chain(s)
		ticket := victim.settingsTicket()
		tk, err := s.creds.ParseTicket(ticket, time.Now())
		require.NoError(t, err)
		key := receipt.GenerateEd25519Signer()
		head := h.Receipts[0].Hash
		status, body := victim.do(http.MethodGet, "/api/v1/subjects/"+h.Subject+"/head", nil,
			"Authorization", proofFor(t, victim, h.Subject, key), api.TicketHeader, ticket)
		require.Equal(t, http.StatusOK, status, body)
		assert.Contains(t, body, head)
		mine := realReceipt(t, s, key, h.Subject, head, false, func(p *receipt.Params) {
			p.ID = tk.ReceiptID
			p.Decision = receipt.DecisionUpdated
		})
		status, body = victim.postReceipt(mine, api.TicketHeader, ticket)
		require.Equal(t, http.StatusCreated, status, body)
		assert.Equal(t, []string{h.Receipts[0].ID, tk.ReceiptID}, ids(victim.chain(s)))
	})
	t.Run("OKFreshSubjectsFirstReceipt", func(t *testing.T) {
		// A page's ticket for a subject with no receipt yet: its first
		// device receipt creates the subject and enrolls the key.
		s := startReal(t)
		p := newPerson(t, s)
		ticket := p.ticket()
		tk, err := s.creds.ParseTicket(ticket, time.Now())
		require.NoError(t, err)
		key := receipt.GenerateEd25519Signer()
		first := realReceipt(t, s, key, tk.Subject, "", false, func(p *receipt.Params) { p.ID = tk.ReceiptID })
		status, body := p.postReceipt(first, api.TicketHeader, ticket)
		require.Equal(t, http.StatusCreated, status, body)
		status, body = p.do(http.MethodGet, "/api/v1/subjects/"+tk.Subject+"/receipts", nil, "Authorization", proofFor(t, p, tk.Subject, key))
		assert.Equal(t, http.StatusOK, status, body)
	})
}
