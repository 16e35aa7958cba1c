package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// bundleOrigin stands for the app's assets (Android's WebViewAssetLoader).
const bundleOrigin = "https://appassets.androidplatform.net"

func TestPolicyLatest(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		edit       func(*Config)
	}{
		{"OKShipped", localestest.Newest(t), func(*Config) {}},
		{"OKLater", localestest.Later, withLaterPolicy(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startReal(t, tc.edit)
			res, err := http.Get(s.URL() + "/api/v1/policy/latest")
			require.NoError(t, err)
			defer res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode)
			var got PolicyLatest
			require.NoError(t, json.NewDecoder(res.Body).Decode(&got))
			assert.Equal(t, tc.want, got.Version)
			assert.NotEmpty(t, got.Updated)
			assert.Equal(t, "*", res.Header.Get("Access-Control-Allow-Origin"), "public: any page may read it")
			assert.Equal(t, "public, max-age=300", res.Header.Get("Cache-Control"))
			etag := res.Header.Get("ETag")
			require.NotEmpty(t, etag)

			req, err := http.NewRequest(http.MethodGet, s.URL()+"/api/v1/policy/latest", nil)
			require.NoError(t, err)
			req.Header.Set("If-None-Match", etag)
			again, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			again.Body.Close()
			assert.Equal(t, http.StatusNotModified, again.StatusCode, "a cache revalidates by the ETag")
		})
	}
}

// TestPolicyCatalogues holds the newer version's texts to the notice
// references policy/latest names: the bundle's wasm refuses texts whose
// shown notice is not the one named there, so the two must agree.
func TestPolicyCatalogues(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		versions   int
		edit       func(*Config)
	}{
		{"OKShipped", localestest.Newest(t), len(localestest.Shipped(t)), func(*Config) {}},
		{"OKLater", localestest.Later, 2, withLaterPolicy(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startReal(t, tc.edit)
			res, err := http.Get(s.URL() + "/api/v1/policy/latest")
			require.NoError(t, err)
			var latest PolicyLatest
			require.NoError(t, json.NewDecoder(res.Body).Decode(&latest))
			res.Body.Close()
			require.Equal(t, "/api/v1/policy/"+tc.want+"/catalogues.json", latest.Catalogues)

			res, err = http.Get(s.URL() + latest.Catalogues)
			require.NoError(t, err)
			defer res.Body.Close()
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"), "a version's texts never change")
			assert.Equal(t, "*", res.Header.Get("Access-Control-Allow-Origin"))
			body, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			sum := sha256.Sum256(body)
			assert.Equal(t, latest.SHA256, hex.EncodeToString(sum[:]), "the bundle checks the texts by this hash")
			var cats consentview.Catalogues
			require.NoError(t, json.Unmarshal(body, &cats))
			assert.Equal(t, tc.want, cats.Latest.Version())
			assert.Len(t, cats.ByVersion, tc.versions, "every version up to it, for the re-ask's comparison")
			for _, l := range lang.All {
				assert.Equal(t, latest.Notices[l], notice.For(cats.Latest, consent.SurfaceFirstLaunch, l), l)
				assert.Equal(t, latest.SettingsNotices[l], notice.For(cats.Latest, consent.SurfaceSettings, l), l)
				assert.NotEqual(t, latest.Notices[l], latest.SettingsNotices[l], "each surface's receipts name their own")
			}
		})
	}
	t.Run("UnknownVersion", func(t *testing.T) {
		s := startReal(t, func(*Config) {})
		res, err := http.Get(s.URL() + "/api/v1/policy/2099-01/catalogues.json")
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusNotFound, res.StatusCode)
	})
}

// bundleForm is the gate form as gate.js posts it from a bundle page, with
// what bundle.js adds.
func bundleForm(id, subject string, edit func(url.Values)) url.Values {
	f := url.Values{
		"action": {"agree"}, "adult": {"1"}, "purpose": {"push", "analytics"}, "lang": {"en"}, "mode": {"ask"},
		"ticket": {""}, "at": {strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10)},
		"policyVersion": {localestest.Base}, "receipt": {id}, "subject": {subject},
	}
	if edit != nil {
		edit(f)
	}
	return f
}

// order asks for the order of f from the bundle's origin.
func (p *person) order(f url.Values, origin string) (int, string) {
	p.t.Helper()
	h := []string{"Accept", "application/json"}
	if origin != "" {
		h = append(h, "Origin", origin)
	}
	return p.post("/api/v1/orders", f, h...)
}

// TestBundleReceipts walks a decision of the app bundle's gate through
// HTTP against the real server: the order, signed by a fresh device key,
// is stored once, under the id the bundle made and the device's subject,
// and verifies; the attacks around it are refused.
func TestBundleReceipts(t *testing.T) {
	allowed := func(c *Config) { c.AllowedOrigins = []string{bundleOrigin} }

	t.Run("OKStoredOnceAndVerifies", func(t *testing.T) {
		s := startReal(t, allowed)
		device := newPerson(t, s)
		id, subject := uuid.NewString(), uuid.NewString()
		status, body := device.order(bundleForm(id, subject, nil), bundleOrigin)
		require.Equal(t, http.StatusOK, status, body)
		var o consentreceipt.Order
		require.NoError(t, json.Unmarshal([]byte(body), &o))
		r, err := o.Unsigned()
		require.NoError(t, err)
		assert.Equal(t, id, r.ID)
		assert.Equal(t, subject, r.Subject)
		assert.Empty(t, r.PrevHash)
		assert.Empty(t, o.Ticket)
		assert.Equal(t, "first-launch", r.Surface)

		signed := signOrder(t, s, &o, receipt.GenerateEd25519Signer(), nil, "")
		status, first := device.postReceipt(signed, "Origin", bundleOrigin)
		require.Equal(t, http.StatusCreated, status, first)
		status, again := device.postReceipt(signed, "Origin", bundleOrigin)
		require.Equal(t, http.StatusOK, status, "a resend is answered as the first post")
		assert.JSONEq(t, first, again)
		assert.Equal(t, 1, stored(t, s))

		rec, err := s.store.Get(t.Context(), id)
		require.NoError(t, err)
		assert.Equal(t, subject, rec.Subject)
		require.NoError(t, receipt.VerifyChain(chainOf(t, s, subject), s.keys.JWKS()), "kaiconn-verify -chain accepts it")
	})

	t.Run("OKCORSForTheConfiguredOrigin", func(t *testing.T) {
		s := startReal(t, allowed)
		req, err := http.NewRequest(http.MethodOptions, s.URL()+"/api/v1/receipts", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", bundleOrigin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, http.StatusNoContent, res.StatusCode)
		assert.Equal(t, bundleOrigin, res.Header.Get("Access-Control-Allow-Origin"))
		assert.Empty(t, res.Header.Get("Access-Control-Allow-Credentials"), "no cookie crosses")

		form := bundleForm(uuid.NewString(), uuid.NewString(), nil)
		oreq, err := http.NewRequest(http.MethodPost, s.URL()+"/api/v1/orders", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		oreq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		oreq.Header.Set("Origin", bundleOrigin)
		ores, err := http.DefaultClient.Do(oreq)
		require.NoError(t, err)
		ores.Body.Close()
		assert.Equal(t, http.StatusOK, ores.StatusCode)
		assert.Equal(t, bundleOrigin, ores.Header.Get("Access-Control-Allow-Origin"))
	})

	t.Run("OKTheVersionTheBundleShowed", func(t *testing.T) {
		// The server has a newer policy than the bundle: the decision is
		// recorded under the version the person was shown, never the
		// newer one.
		s := startReal(t, allowed, withLaterPolicy(t))
		device := newPerson(t, s)
		status, body := device.order(bundleForm(uuid.NewString(), uuid.NewString(), nil), bundleOrigin)
		require.Equal(t, http.StatusOK, status, body)
		var o consentreceipt.Order
		require.NoError(t, json.Unmarshal([]byte(body), &o))
		r, err := o.Unsigned()
		require.NoError(t, err)
		assert.Equal(t, localestest.Base, r.Policy.Version)
		signed := signOrder(t, s, &o, receipt.GenerateEd25519Signer(), nil, "")
		status, ack := device.postReceipt(signed, "Origin", bundleOrigin)
		assert.Equal(t, http.StatusCreated, status, ack)
	})

	t.Run("OKReaskFromTheHostsState", func(t *testing.T) {
		// A bundle of the newer policy, on a device whose host kept an
		// agreement under the older one: the re-ask's answers, built from
		// the host's state by the gate's rules, start the device's chain.
		s := startReal(t, allowed, withLaterPolicy(t))
		state, err := json.Marshal(map[string]any{
			"v": 2, "type": "consent", "decision": "agreed", "policyVersion": localestest.Base,
			"purposes":  map[string]bool{"basic": true, "push": true, "wechat-share": false, "location": true, "crash-reports": false, "analytics": false},
			"receiptId": uuid.NewString(), "at": time.Now().Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339),
		})
		require.NoError(t, err)
		for _, action := range []string{"agree", "decline"} {
			t.Run(action, func(t *testing.T) {
				device := newPerson(t, s)
				form := bundleForm(uuid.NewString(), uuid.NewString(), func(f url.Values) {
					f.Set("policyVersion", localestest.Later)
					f.Set("mode", "reask")
					f.Set("action", action)
					f.Del("adult")
					f["purpose"] = []string{"sensors", "location"}
					f.Set("state", base64.RawURLEncoding.EncodeToString(state))
				})
				status, body := device.order(form, bundleOrigin)
				require.Equal(t, http.StatusOK, status, body)
				var o consentreceipt.Order
				require.NoError(t, json.Unmarshal([]byte(body), &o))
				r, err := o.Unsigned()
				require.NoError(t, err)
				assert.Equal(t, localestest.Later, r.Policy.Version)
				states := map[string]string{}
				for _, p := range r.Purposes {
					states[p.ID] = p.State
				}
				assert.True(t, receipt.InEffect(states["push"]), "an answer the re-ask did not ask stays: %v", states)
				// A fresh device: its outbox starts the chain with it.
				chainStart(t, &o)
				signed := signOrder(t, s, &o, receipt.GenerateEd25519Signer(), nil, "")
				status, ack := device.postReceipt(signed, "Origin", bundleOrigin)
				assert.Equal(t, http.StatusCreated, status, ack)
			})
		}
	})

	t.Run("OKSettingsFromTheHostsState", func(t *testing.T) {
		// A change on the bundle's privacy settings: the settings' own rule
		// (consentview.ChangeSettings) decides updated or withdrawn from the
		// host's state, as the wasm did for the bridge message at the tap.
		s := startReal(t, allowed)
		state, err := json.Marshal(map[string]any{
			"v": 2, "type": "consent", "decision": "agreed", "policyVersion": localestest.Base,
			"purposes":  map[string]bool{"basic": true, "push": true, "wechat-share": false, "location": false, "crash-reports": false, "analytics": false},
			"receiptId": uuid.NewString(), "at": time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339),
		})
		require.NoError(t, err)
		settings := func(action string, on ...string) url.Values {
			return url.Values{
				"surface": {"settings"}, "action": {action}, "purpose": on, "lang": {"en"},
				"state":         {base64.RawURLEncoding.EncodeToString(state)},
				"at":            {strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10)},
				"policyVersion": {localestest.Base}, "receipt": {uuid.NewString()}, "subject": {uuid.NewString()},
			}
		}
		for _, tc := range []struct {
			name, action string
			on           []string
			status       int
			kind         string
		}{
			{"Update", "save", []string{"push", "location"}, http.StatusOK, receipt.DecisionUpdated},
			{"WithdrawAll", "withdraw-all", nil, http.StatusOK, receipt.DecisionWithdrawn},
			{"Unchanged", "save", []string{"push"}, http.StatusUnprocessableEntity, ""},
			{"UnknownPurpose", "save", []string{"push", "nope"}, http.StatusUnprocessableEntity, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				device := newPerson(t, s)
				status, body := device.order(settings(tc.action, tc.on...), bundleOrigin)
				require.Equal(t, tc.status, status, body)
				if tc.status != http.StatusOK {
					assert.Contains(t, body, `"error"`)
					return
				}
				var o consentreceipt.Order
				require.NoError(t, json.Unmarshal([]byte(body), &o))
				r, err := o.Unsigned()
				require.NoError(t, err)
				assert.Equal(t, tc.kind, r.Decision)
				assert.Equal(t, "settings", r.Surface)
				states := map[string]string{}
				for _, p := range r.Purposes {
					states[p.ID] = p.State
				}
				assert.Equal(t, slices.Contains(tc.on, "location"), receipt.InEffect(states["location"]), "%v", states)
				// Stated against the host's state, which gave push: a
				// switch turned off is withdrawn (a fresh device's outbox
				// starts its chain with it, which no receipt gave).
				assert.Equal(t, !slices.Contains(tc.on, "push"), states["push"] == receipt.StateWithdrawn, "%v", states)
				chainStart(t, &o)
				signed := signOrder(t, s, &o, receipt.GenerateEd25519Signer(), nil, "")
				status, ack := device.postReceipt(signed, "Origin", bundleOrigin)
				assert.Equal(t, http.StatusCreated, status, ack)
			})
		}
	})

	t.Run("ErrOriginNotConfigured", func(t *testing.T) {
		s := startReal(t) // no -allowed-origins
		status, body := newPerson(t, s).order(bundleForm(uuid.NewString(), uuid.NewString(), nil), bundleOrigin)
		assert.Equal(t, http.StatusForbidden, status, body)
	})

	t.Run("ErrForeignOrigin", func(t *testing.T) {
		s := startReal(t, allowed)
		for _, o := range []string{"https://evil.example", "null"} {
			status, body := newPerson(t, s).order(bundleForm(uuid.NewString(), uuid.NewString(), nil), o)
			assert.Equal(t, http.StatusForbidden, status, "%s: %s", o, body)
		}
	})

	t.Run("ErrBadFields", func(t *testing.T) {
		s := startReal(t, allowed)
		for _, tc := range []struct {
			name   string
			edit   func(url.Values)
			status int
			msg    string
		}{
			{"NoAdult", func(f url.Values) { f.Del("adult") }, http.StatusUnprocessableEntity, "gate_error_adult"},
			{"UnknownPurpose", func(f url.Values) { f.Add("purpose", "everything") }, http.StatusUnprocessableEntity, "gate_error_purpose"},
			{"UnknownVersion", func(f url.Values) { f.Set("policyVersion", "2031-01") }, http.StatusUnprocessableEntity, "policyVersion"},
			{"BadReceiptID", func(f url.Values) { f.Set("receipt", "1") }, http.StatusBadRequest, "receipt"},
			{"UpperCaseReceiptID", func(f url.Values) { f.Set("receipt", "0D6F5B0E-8A52-4C33-9A57-0C7F2F8E2A10") }, http.StatusBadRequest, "receipt"},
			{"BadSubject", func(f url.Values) { f.Set("subject", "someone") }, http.StatusBadRequest, "subject"},
			{"BadLang", func(f url.Values) { f.Set("lang", "fr") }, http.StatusBadRequest, "lang"},
			{"TooOld", func(f url.Values) {
				f.Set("at", strconv.FormatInt(time.Now().Add(-31*24*time.Hour).UnixMilli(), 10))
			}, http.StatusUnprocessableEntity, "at: older than 30 days"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, body := newPerson(t, s).order(bundleForm(uuid.NewString(), uuid.NewString(), tc.edit), bundleOrigin)
				assert.Equal(t, tc.status, status, body)
				assert.Contains(t, body, tc.msg)
			})
		}
		assert.Zero(t, stored(t, s), "an order stores nothing")
	})

	t.Run("ErrSomeoneElsesSubject", func(t *testing.T) {
		// The order names any subject the caller likes; it tells nothing
		// of it and lets nobody append to it.
		s := startReal(t, allowed)
		victim := newPerson(t, s)
		victimSubject := uuid.NewString()
		status, body := victim.order(bundleForm(uuid.NewString(), victimSubject, nil), bundleOrigin)
		require.Equal(t, http.StatusOK, status, body)
		var vo consentreceipt.Order
		require.NoError(t, json.Unmarshal([]byte(body), &vo))
		status, body = victim.postReceipt(signOrder(t, s, &vo, receipt.GenerateEd25519Signer(), nil, ""), "Origin", bundleOrigin)
		require.Equal(t, http.StatusCreated, status, body)

		attacker := newPerson(t, s)
		form := bundleForm(uuid.NewString(), victimSubject, func(f url.Values) { f.Del("purpose") })
		status, body = attacker.order(form, bundleOrigin)
		require.Equal(t, http.StatusOK, status, body)
		var ao consentreceipt.Order
		require.NoError(t, json.Unmarshal([]byte(body), &ao))
		r, err := ao.Unsigned()
		require.NoError(t, err)
		assert.Empty(t, r.PrevHash, "the order shows no head of the subject")
		status, body = attacker.postReceipt(signOrder(t, s, &ao, receipt.GenerateEd25519Signer(), nil, ""), "Origin", bundleOrigin)
		assert.Equal(t, http.StatusUnprocessableEntity, status)
		assert.Contains(t, body, "receipt.prevHash: not the head of this subject's chain for this key")
		assert.Len(t, chainOf(t, s, victimSubject).Receipts, 1, "the victim's chain is unchanged")
	})

	t.Run("ErrRateLimited", func(t *testing.T) {
		// Orders share the decision forms' limiter: per client IP.
		s := startReal(t, allowed, func(c *Config) { c.FormRateLimit = 2 })
		p := newPerson(t, s)
		var statuses []int
		for range 3 {
			status, _ := p.order(bundleForm(uuid.NewString(), uuid.NewString(), nil), bundleOrigin)
			statuses = append(statuses, status)
		}
		assert.Equal(t, []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests}, statuses)
	})

	t.Run("ErrATicketCannotBeNamed", func(t *testing.T) {
		// The order carries no ticket whatever is posted: the bundle's
		// device joins no subject but its own new one.
		s := startReal(t, allowed)
		p := newPerson(t, s)
		form := bundleForm(uuid.NewString(), uuid.NewString(), func(f url.Values) { f.Set("ticket", p.ticket()) })
		status, body := p.order(form, bundleOrigin)
		require.Equal(t, http.StatusOK, status, body)
		var o consentreceipt.Order
		require.NoError(t, json.Unmarshal([]byte(body), &o))
		assert.Empty(t, o.Ticket)
		assert.NotContains(t, body, api.TicketHeader)
	})
}

// chainOf is a subject's chain as the store keeps it.
func chainOf(t *testing.T, s *Server, subject string) receipt.History {
	t.Helper()
	records, err := s.store.Subject(t.Context(), subject)
	require.NoError(t, err)
	h := receipt.History{Subject: subject}
	for _, rec := range records {
		h.Receipts = append(h.Receipts, receipt.FromRecord(rec))
	}
	return h
}
