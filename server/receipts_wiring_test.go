package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/store/pgtest"
)

// client talks to a started server over loopback, as a device does.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func (c client) get(path string, header ...string) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	require.NoError(c.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return res.StatusCode, b
}

func (c client) post(path string, body []byte) (int, []byte) {
	c.t.Helper()
	res, err := c.http.Post(c.base+path, "application/json", bytes.NewReader(body))
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return res.StatusCode, b
}

// deviceReceiptFor builds what a native app builds from GET /api/v1/policy
// alone: a kaiconn-receipt/2 first-launch decision naming the published
// shown notice, its purposes in id order, signed with the device key.
func deviceReceiptFor(t testing.TB, info PolicyInfo, signer receipt.Signer, subject, prev string) *receipt.Signed {
	t.Helper()
	var v PolicyVersionInfo
	for _, pv := range info.Versions {
		if pv.Version == info.Latest {
			v = pv
		}
	}
	now := time.Now()
	lang := receipt.LangZhHans
	var purposes []receipt.PurposeParams
	for _, p := range v.Purposes {
		if p.Surface != receipt.SurfaceFirstLaunch {
			continue
		}
		pp := receipt.PurposeParams{ID: p.ID, State: receipt.StateRefused}
		if p.Required {
			pp.State, pp.ExpiresAt = receipt.StateGiven, now.AddDate(0, 0, info.ConsentLifetimeDays)
		}
		purposes = append(purposes, pp)
	}
	slices.SortFunc(purposes, func(a, b receipt.PurposeParams) int { return strings.Compare(a.ID, b.ID) })
	s, err := receipt.Sign(receipt.New(receipt.Params{
		Schema: receipt.SchemaV2, Notice: v.Notices[receipt.SurfaceFirstLaunch][lang],
		Subject: subject, Surface: receipt.SurfaceFirstLaunch, Language: lang,
		PolicyVersion: v.Version, PolicySHA256: v.SHA256[lang], Decision: receipt.DecisionDeclined,
		IssuedAt: now, Purposes: purposes, PrevHash: prev,
	}), signer)
	require.NoError(t, err)
	return s
}

func (c client) policy() PolicyInfo {
	c.t.Helper()
	status, b := c.get("/api/v1/policy")
	require.Equal(c.t, http.StatusOK, status, "%s", b)
	var info PolicyInfo
	require.NoError(c.t, json.Unmarshal(b, &info))
	return info
}

// startTest starts the program of openTest on a free loopback port.
func startTest(t testing.TB, s *Server) client {
	t.Helper()
	require.NoError(t, s.Start())
	return client{t: t, base: s.URL(), http: &http.Client{Timeout: 10 * time.Second}}
}

// roundTrip posts a device receipt and fetches it back with a proof of its
// key, verifying it offline against the JWKS the server publishes.
func roundTrip(t *testing.T, c client) api.Ack {
	t.Helper()
	signer := receipt.GenerateEd25519Signer()
	s := deviceReceiptFor(t, c.policy(), signer, receipt.NewSubject(), "")
	body, err := json.Marshal(s)
	require.NoError(t, err)
	status, b := c.post("/api/v1/receipts", body)
	require.Equal(t, http.StatusCreated, status, "%s", b)
	var ack api.Ack
	require.NoError(t, json.Unmarshal(b, &ack))

	status, jwks := c.get("/.well-known/jwks.json")
	require.Equal(t, http.StatusOK, status)
	status, b = c.get("/api/v1/receipts/"+ack.ID, "Authorization", c.proof(s.Receipt.Subject, signer))
	require.Equal(t, http.StatusOK, status, "%s", b)
	var got receipt.Countersigned
	require.NoError(t, json.Unmarshal(b, &got))
	env, err := got.Verify(jwks)
	require.NoError(t, err)
	assert.Equal(t, receipt.AttestationDevice, env.Attestation)
	assert.Equal(t, ack.Hash, got.Hash)
	return ack
}

// proof is an Authorization value proving signer's key for subject, over a
// fresh nonce.
func (c client) proof(subject string, signer receipt.Signer) string {
	c.t.Helper()
	status, b := c.get("/api/v1/nonce")
	require.Equal(c.t, http.StatusOK, status, "%s", b)
	var n api.Nonce
	require.NoError(c.t, json.Unmarshal(b, &n))
	cred, err := receipt.SignHistoryProof(subject, time.Now(), n.Nonce, signer)
	require.NoError(c.t, err)
	return receipt.ProofScheme + " " + cred
}

func TestWiringSQLite(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, "")
	s.cfg.AdminToken = "wiring-admin-token"
	s.router = s.routes()
	c := startTest(t, s)

	t.Run("OKJWKS", func(t *testing.T) {
		res, err := c.http.Get(c.base + "/.well-known/jwks.json")
		require.NoError(t, err)
		defer res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "application/jwk-set+json", res.Header.Get("Content-Type"))
		var set struct{ Keys []struct{ Kid string } }
		require.NoError(t, json.NewDecoder(res.Body).Decode(&set))
		require.Len(t, set.Keys, 1)
		assert.Equal(t, s.keys.KeyID(), set.Keys[0].Kid)
	})
	t.Run("OKPolicyInfo", func(t *testing.T) {
		info := c.policy()
		v, _ := s.policies.Version(info.Latest)
		require.NotEmpty(t, info.Versions)
		assert.Equal(t, v.Docs[receipt.LangEn].SHA256, info.Versions[len(info.Versions)-1].SHA256[receipt.LangEn])
	})
	ack := roundTrip(t, c)
	t.Run("OKFilesInDataDir", func(t *testing.T) {
		_, err := os.Stat(filepath.Join(dir, "kaiconn.db"))
		require.NoError(t, err)
		keys, err := filepath.Glob(filepath.Join(dir, "keys", "*.jwk.json"))
		require.NoError(t, err)
		assert.Len(t, keys, 1)
	})
	t.Run("OKExportWithAdminToken", func(t *testing.T) {
		status, b := c.get("/api/v1/export", "Authorization", "Bearer wiring-admin-token")
		require.Equal(t, http.StatusOK, status, "%s", b)
		assert.Contains(t, string(b), ack.ID)
		status, _ = c.get("/api/v1/export", "Authorization", "Bearer wrong")
		assert.Equal(t, http.StatusUnauthorized, status)
	})
	t.Run("ErrUnsignedPost", func(t *testing.T) {
		status, b := c.post("/api/v1/receipts", []byte(`{"attestation":"server","receipt":{}}`))
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, string(b), "receipt.schema")
	})
	t.Run("OKSurvivesRestart", func(t *testing.T) {
		kid := s.keys.KeyID()
		require.NoError(t, s.Close())
		again := openTest(t, dir, "")
		c := startTest(t, again)
		assert.Equal(t, kid, again.keys.KeyID(), "the key is kept, not made anew")
		status, b := c.get("/api/v1/receipts/" + ack.ID)
		require.Equal(t, http.StatusOK, status, "%s", b)
		assert.Contains(t, string(b), ack.ID)
	})
}

func TestWiringExportDisabledWithoutToken(t *testing.T) {
	c := startTest(t, openTest(t, "", ""))
	status, b := c.get("/api/v1/export", "Authorization", "Bearer ")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.True(t, strings.Contains(string(b), "admin bearer token required"), "%s", b)
}

func TestWiringPostgreSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	dsn := pgtest.DSN(t)
	s := openTest(t, "", dsn)
	c := startTest(t, s)
	ack := roundTrip(t, c)
	_, err := os.Stat(filepath.Join(s.cfg.DataDir, "kaiconn.db"))
	assert.True(t, os.IsNotExist(err), "no SQLite file when PostgreSQL is used")
	rec, err := s.store.Get(t.Context(), ack.ID)
	require.NoError(t, err)
	assert.Equal(t, ack.Hash, rec.Hash)
}
