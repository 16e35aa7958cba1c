package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/banner"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/pgtest"
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
	var bt banner.Ticket
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

// race sends n requests at once (each is send(i)) and returns their
// statuses.
func race(n int, send func(i int) int) []int {
	statuses := make([]int, n)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range n {
		done.Go(func() {
			start.Wait()
			statuses[i] = send(i)
		})
	}
	start.Done()
	done.Wait()
	return statuses
}

// serverErrors counts the 5xx statuses.
func serverErrors(statuses []int) int {
	n := 0
	for _, s := range statuses {
		if s >= 500 {
			n++
		}
	}
	return n
}

// TestAttackTicketRace posts one ticket many times at once on every path
// that takes one: a ticket is good once, in the store and not in a lock
// of one process, so the decision is stored once and every post gets the
// same answer; never a 5xx.
func TestAttackTicketRace(t *testing.T) {
	const n = 8
	agree := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}}
	for _, tt := range []struct {
		name string
		// setup decides what the browser already holds and returns the
		// post, whose every copy carries the same ticket.
		setup func(t *testing.T, p *person) (path string, form url.Values, header []string)
	}{
		{"SettingsForm", func(t *testing.T, p *person) (string, url.Values, []string) {
			status, _ := p.post("/consent", with(agree, "ticket", p.ticket()))
			require.Equal(t, http.StatusSeeOther, status)
			return "/settings/privacy", url.Values{"lang": {"en"}, "action": {"save"}, "purpose": {"push", "location"}, "ticket": {p.settingsTicket()}}, nil
		}},
		{"SettingsJSON", func(t *testing.T, p *person) (string, url.Values, []string) {
			status, _ := p.post("/consent", with(agree, "ticket", p.ticket()))
			require.Equal(t, http.StatusSeeOther, status)
			return "/settings/privacy", url.Values{"lang": {"en"}, "action": {"withdraw-all"}, "ticket": {p.settingsTicket()}}, []string{"Accept", "application/json"}
		}},
		{"BannerJSONWithoutAt", func(t *testing.T, p *person) (string, url.Values, []string) {
			return "/banner/consent", url.Values{"lang": {"en"}, "action": {"accept"}, "ticket": {p.bannerTicket()}}, []string{"Accept", "application/json"}
		}},
		{"BannerForm", func(t *testing.T, p *person) (string, url.Values, []string) {
			return "/banner/consent", url.Values{"lang": {"en"}, "action": {"reject"}, "ticket": {p.bannerTicket()}}, nil
		}},
		{"GateForm", func(t *testing.T, p *person) (string, url.Values, []string) {
			return "/consent", with(agree, "ticket", p.ticket()), nil
		}},
		{"GateJSON", func(t *testing.T, p *person) (string, url.Values, []string) {
			return "/consent", with(agree, "ticket", p.ticket()), []string{"Accept", "application/json"}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := startReal(t, func(c *Config) { c.FormRateLimit, c.FormSubjectRateLimit = -1, -1 })
			p := newPerson(t, s)
			path, form, header := tt.setup(t, p)
			before := stored(t, s)
			statuses := race(n, func(int) int {
				status, _ := p.post(path, form, header...)
				return status
			})
			assert.Zero(t, serverErrors(statuses), "%v", statuses)
			for _, status := range statuses {
				assert.Contains(t, []int{http.StatusOK, http.StatusCreated, http.StatusSeeOther}, status, "%v", statuses)
			}
			assert.Equal(t, before+1, stored(t, s), "one ticket, one receipt: %v", statuses)
			t.Logf("%d posts of one ticket: %d receipt(s) stored, %d 5xx", n, stored(t, s)-before, serverErrors(statuses))
		})
	}
	t.Run("API", func(t *testing.T) {
		s := startReal(t)
		p := newPerson(t, s)
		ticket := p.ticket()
		tk, err := s.creds.ParseTicket(ticket, time.Now())
		require.NoError(t, err)
		first := realReceipt(t, s, receipt.GenerateEd25519Signer(), tk.Subject, "", false, func(p *receipt.Params) { p.ID = tk.ReceiptID })
		statuses := race(n, func(int) int {
			status, _ := p.postReceipt(first, api.TicketHeader, ticket)
			return status
		})
		assert.Zero(t, serverErrors(statuses), "%v", statuses)
		for _, status := range statuses {
			assert.Contains(t, []int{http.StatusOK, http.StatusCreated}, status, "%v", statuses)
		}
		assert.Equal(t, 1, stored(t, s))
	})
}

// TestAttackTicketRaceTakeover: someone holding the ticket of a page whose
// person has not decided yet (its subject has no receipt) posts with it
// at the same moment as that person. One of them starts the subject; the
// other never joins it, and never gets its kc_sub.
func TestAttackTicketRaceTakeover(t *testing.T) {
	agree := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push", "location", "analytics"}}
	decline := url.Values{"lang": {"en"}, "action": {"decline"}}
	for _, path := range []string{"/consent", "/banner/consent"} {
		t.Run(path, func(t *testing.T) {
			s := startReal(t, func(c *Config) { c.FormRateLimit, c.FormSubjectRateLimit = -1, -1 })
			for round := range 4 {
				const n = 4
				people := make([]*person, n)
				for i := range people {
					people[i] = newPerson(t, s)
				}
				ticket := people[0].ticket()
				if path == "/banner/consent" {
					ticket = people[0].bannerTicket()
				}
				statuses := race(n, func(i int) int {
					form := decline
					if path == "/banner/consent" {
						form = url.Values{"lang": {"en"}, "action": {"reject"}}
					}
					if i%2 == 1 { // the others decide otherwise
						form = agree
						if path == "/banner/consent" {
							form = url.Values{"lang": {"en"}, "action": {"accept"}}
						}
					}
					status, _ := people[i].post(path, with(form, "ticket", ticket))
					return status
				})
				assert.Zero(t, serverErrors(statuses), "round %d: %v", round, statuses)
				holders := map[string]int{}
				for i, p := range people {
					h := p.chain(s)
					if h == nil {
						continue
					}
					holders[h.Subject]++
					require.Len(t, h.Receipts, 1, "round %d: person %d's chain holds their own decision only", round, i)
				}
				for subject, k := range holders {
					assert.Equal(t, 1, k, "round %d: %s is held by %d browsers", round, subject, k)
				}
			}
		})
	}
}

// TestAttackSameSubjectLoad is 16 clients deciding at once, again and
// again, on one kc_sub: every decision is recorded on the one chain, in
// order, or answered with a retryable 409 or 429; never a 5xx.
func TestAttackSameSubjectLoad(t *testing.T) {
	const clients, rounds = 16, 4
	s := startReal(t, func(c *Config) { c.FormRateLimit, c.FormSubjectRateLimit = -1, -1 })
	owner := newPerson(t, s)
	status, _ := owner.post("/banner/consent", url.Values{"lang": {"en"}, "action": {"reject"}})
	require.Equal(t, http.StatusSeeOther, status)
	u, err := url.Parse(s.URL())
	require.NoError(t, err)
	people := make([]*person, clients)
	for i := range people {
		people[i] = newPerson(t, s)
		people[i].c.Jar.SetCookies(u, owner.c.Jar.Cookies(u))
	}
	before := stored(t, s)
	var mu sync.Mutex
	var all []int
	acknowledged := map[string]bool{}
	for range rounds {
		statuses := race(clients, func(i int) int {
			action := []string{"accept", "reject"}[i%2]
			status, body := people[i].post("/banner/consent", url.Values{"lang": {"en"}, "action": {action}}, "Accept", "application/json")
			if status == http.StatusCreated || status == http.StatusOK {
				var out banner.Outcome
				if json.Unmarshal([]byte(body), &out) == nil {
					mu.Lock()
					acknowledged[out.Receipt] = true
					mu.Unlock()
				}
			}
			return status
		})
		all = append(all, statuses...)
	}
	retry := 0
	for _, status := range all {
		switch status {
		case http.StatusCreated, http.StatusOK:
		case http.StatusConflict, http.StatusTooManyRequests:
			retry++
		default:
			t.Errorf("status %d: every decision is recorded or answered with a retryable 409 or 429", status)
		}
	}
	h := owner.chain(s)
	require.NotNil(t, h)
	assert.Len(t, h.Receipts, 1+len(acknowledged), "every acknowledged decision is on the one chain")
	for _, r := range h.Receipts[1:] {
		assert.True(t, acknowledged[r.ID], "%s was acknowledged", r.ID)
	}
	assert.Equal(t, before+len(acknowledged), stored(t, s))
	assert.Zero(t, serverErrors(all))
	t.Logf("%d clients × %d decisions on one kc_sub: %d receipts stored, %d answered 409/429, %d 5xx", clients, rounds, len(acknowledged), retry, serverErrors(all))
}

// TestAttackTwoNodesPostgreSQL is the races above across two server
// instances sharing one PostgreSQL database (and one data directory, for
// the keys), as a deployment behind a load balancer runs them: a ticket
// posted to both at once is stored once, and one subject's decisions on
// both are all recorded on its one chain or answered 409/429; never a 5xx.
func TestAttackTwoNodesPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	unlimited := func(c *Config) {
		c.DataDir, c.DSN = dir, dsn
		c.FormRateLimit, c.FormSubjectRateLimit, c.RateLimit = -1, -1, -1
	}
	nodes := []*Server{startReal(t, unlimited), startReal(t, unlimited)}
	// on is p's browser talking to node i: the same cookies (a cookie is
	// the host's, whatever the port).
	on := func(p *person, i int) *person {
		return &person{t: p.t, base: nodes[i%2].URL(), c: p.c}
	}
	agree := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}}

	t.Run("OneTicketStoredOnce", func(t *testing.T) {
		const n = 8
		for _, tt := range []struct {
			name  string
			setup func(p *person) (string, url.Values, []string)
		}{
			{"Settings", func(p *person) (string, url.Values, []string) {
				status, _ := p.post("/consent", with(agree, "ticket", p.ticket()))
				require.Equal(t, http.StatusSeeOther, status)
				return "/settings/privacy", url.Values{"lang": {"en"}, "action": {"save"}, "purpose": {"push", "location"}, "ticket": {p.settingsTicket()}}, nil
			}},
			{"BannerJSONWithoutAt", func(p *person) (string, url.Values, []string) {
				return "/banner/consent", url.Values{"lang": {"en"}, "action": {"accept"}, "ticket": {p.bannerTicket()}}, []string{"Accept", "application/json"}
			}},
			{"GateForm", func(p *person) (string, url.Values, []string) {
				return "/consent", with(agree, "ticket", p.ticket()), nil
			}},
			{"GateJSON", func(p *person) (string, url.Values, []string) {
				return "/consent", with(agree, "ticket", p.ticket()), []string{"Accept", "application/json"}
			}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p := newPerson(t, nodes[0])
				path, form, header := tt.setup(p)
				before := stored(t, nodes[0])
				statuses := race(n, func(i int) int {
					status, _ := on(p, i).post(path, form, header...)
					return status
				})
				assert.Zero(t, serverErrors(statuses), "%v", statuses)
				assert.Equal(t, before+1, stored(t, nodes[1]), "one ticket, one receipt: %v", statuses)
				t.Logf("%d posts of one ticket on two nodes: %d receipt(s) stored, %d 5xx", n, stored(t, nodes[1])-before, serverErrors(statuses))
			})
		}
	})
	t.Run("OneSubjectOnBoth", func(t *testing.T) {
		const clients, rounds = 16, 3
		owner := newPerson(t, nodes[0])
		status, _ := owner.post("/banner/consent", url.Values{"lang": {"en"}, "action": {"reject"}})
		require.Equal(t, http.StatusSeeOther, status)
		u, err := url.Parse(nodes[0].URL())
		require.NoError(t, err)
		people := make([]*person, clients)
		for i := range people {
			people[i] = on(newPerson(t, nodes[0]), i)
			people[i].c.Jar.SetCookies(u, owner.c.Jar.Cookies(u))
		}
		var mu sync.Mutex
		var all []int
		acknowledged := map[string]bool{}
		for range rounds {
			all = append(all, race(clients, func(i int) int {
				action := []string{"accept", "reject"}[i%2]
				status, body := people[i].post("/banner/consent", url.Values{"lang": {"en"}, "action": {action}}, "Accept", "application/json")
				var out banner.Outcome
				if status == http.StatusCreated && json.Unmarshal([]byte(body), &out) == nil {
					mu.Lock()
					acknowledged[out.Receipt] = true
					mu.Unlock()
				}
				return status
			})...)
		}
		retry := 0
		for _, status := range all {
			switch status {
			case http.StatusCreated:
			case http.StatusConflict, http.StatusTooManyRequests:
				retry++
			default:
				t.Errorf("status %d: every decision is recorded or answered with a retryable 409 or 429", status)
			}
		}
		h := owner.chain(nodes[0])
		require.NotNil(t, h)
		assert.Len(t, h.Receipts, 1+len(acknowledged), "every acknowledged decision is on the one chain")
		for _, r := range h.Receipts[1:] {
			assert.True(t, acknowledged[r.ID], "%s was acknowledged", r.ID)
		}
		assert.Zero(t, serverErrors(all))
		t.Logf("%d clients × %d decisions on one kc_sub, two nodes: %d receipts stored, %d answered 409/429, %d 5xx", clients, rounds, len(acknowledged), retry, serverErrors(all))
	})
}
