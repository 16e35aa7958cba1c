package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/proof"
	"github.com/kaiconn/consent/receipt"
)

const (
	testServiceToken = "account-service-token-for-tests"
	testAdminToken   = "admin-token-for-tests"
)

// exportLines reads GET /api/v1/export.
func exportLines(t *testing.T, s *Server) []receipt.Countersigned {
	t.Helper()
	res := do(t, s, req{method: "GET", target: "/api/v1/export", header: map[string]string{"Authorization": "Bearer " + testAdminToken}})
	require.Equal(t, http.StatusOK, res.StatusCode)
	var out []receipt.Countersigned
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() {
		var c receipt.Countersigned
		require.NoError(t, json.Unmarshal(lines.Bytes(), &c), lines.Text())
		out = append(out, c)
	}
	return out
}

// chains groups an export's lines into the histories kaiconn-verify -chain
// reads: by subject, the envelope's for a receipt, and for a tombstone the
// subject of the receipt whose hash it follows or precedes. A tombstone's
// subject is not in the export; the chain through it is.
func chains(t *testing.T, lines []receipt.Countersigned) []receipt.History {
	t.Helper()
	subjectOf := map[string]string{} // hash -> subject
	var order []string
	histories := map[string]*receipt.History{}
	for _, c := range lines {
		var subject string
		if c.Tombstone == nil {
			env, err := receipt.Decode(c.Envelope)
			require.NoError(t, err)
			subject = env.Receipt.Subject
		} else if c.PrevHash != "" {
			subject = subjectOf[c.PrevHash]
		} else {
			subject = "tombstones-from-" + c.ID
		}
		subjectOf[c.Hash] = subject
		h, ok := histories[subject]
		if !ok {
			h = &receipt.History{}
			if c.Tombstone == nil {
				h.Subject = subject
			}
			histories[subject] = h
			order = append(order, subject)
		}
		h.Receipts = append(h.Receipts, c)
	}
	var out []receipt.History
	for _, subject := range order {
		out = append(out, *histories[subject])
	}
	return out
}

// TestErasureEndToEnd: a person decides, the account service erases them,
// the retention (2 s, on an injected clock) runs out and the purge
// deletes the bodies; the export, the download, the console's audit and
// the next decision all say so, and what is left still verifies.
func TestErasureEndToEnd(t *testing.T) {
	keep := 2 * time.Second
	s := testServer(t, func(c *Config) {
		c.ServiceToken, c.AdminToken = testServiceToken, testAdminToken
		c.Retention, c.PurgeEvery = &keep, -1
	})
	ctx := context.Background()
	agree := url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}}
	person := decide(t, s, "/consent", browser{}, agree)
	person = decide(t, s, "/settings/privacy", person, url.Values{"lang": {"en"}, "action": {"withdraw-all"}})
	neighbour := decide(t, s, "/consent", browser{}, agree)
	subject, err := s.creds.ParseSubject(person.sub)
	require.NoError(t, err)
	require.Len(t, exportLines(t, s), 3)

	// The account service erases the subject.
	erase := func() (int, string) {
		res := do(t, s, req{method: "DELETE", target: "/api/v1/subjects/" + subject,
			header: map[string]string{"Authorization": "Bearer " + testServiceToken}})
		return res.StatusCode, bodyOf(t, res)
	}
	status, answer := erase()
	require.Equal(t, http.StatusOK, status, answer)
	var erased api.Erased
	require.NoError(t, json.Unmarshal([]byte(answer), &erased))
	_, err = receipt.VerifyCountersignature(erased.Record, erased.Countersignature, s.keys.JWKS())
	require.NoError(t, err, "the erasure record is countersigned")
	status, again := erase()
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, answer, again, "erasing twice answers the same")

	// Audited.
	var audited []console.Entry
	require.NoError(t, s.store.(console.Store).ExportAudit(ctx, func(e console.Entry) error {
		if e.Action == console.ActionErase {
			audited = append(audited, e)
		}
		return nil
	}))
	require.Len(t, audited, 2)
	assert.Equal(t, auditService, audited[0].Operator)
	assert.Equal(t, subject, audited[0].Target)

	// The person's download says the records were erased.
	res := do(t, s, req{method: "GET", target: "/settings/privacy/receipts.json", sub: person.sub, cookie: person.cookie})
	assert.Equal(t, http.StatusGone, res.StatusCode)
	assert.Contains(t, bodyOf(t, res), "were erased on")

	// Before the retention ran out, nothing is deleted.
	res0, err := s.purger.run(ctx)
	require.NoError(t, err)
	assert.Equal(t, receipt.PurgeResult{}, res0)

	// The retention runs out: the purger's clock is moved, not waited for.
	s.purger.now = func() time.Time { return time.Now().Add(keep + time.Second) }
	purged, err := s.purger.run(ctx)
	require.NoError(t, err)
	assert.Equal(t, receipt.PurgeResult{Subjects: 1, Receipts: 2}, purged)
	runs, err := s.retention().PurgeRuns(ctx, 5)
	require.NoError(t, err)
	require.Len(t, runs, 1, "the run is on the operations page")
	assert.Equal(t, 1, runs[0].Result.Subjects)

	// The export holds tombstones for the erased chain and the neighbour
	// whole; every chain in it verifies.
	lines := exportLines(t, s)
	require.Len(t, lines, 3)
	tombs := 0
	for _, c := range lines {
		if c.Tombstone != nil {
			tombs++
			assert.Empty(t, c.Envelope)
			assert.Equal(t, receipt.EndErased, c.Tombstone.Ended)
		}
	}
	assert.Equal(t, 2, tombs)
	for _, h := range chains(t, lines) {
		assert.NoError(t, receipt.VerifyChain(h, s.keys.JWKS()))
	}
	raw, err := json.Marshal(lines[1])
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "envelope", "a tombstone carries no envelope")

	// The neighbour's own download still verifies.
	res = do(t, s, req{method: "GET", target: "/settings/privacy/receipts.json", sub: neighbour.sub, cookie: neighbour.cookie})
	require.Equal(t, http.StatusOK, res.StatusCode)
	var h receipt.History
	require.NoError(t, json.NewDecoder(res.Body).Decode(&h))
	assert.NoError(t, receipt.VerifyChain(h, s.keys.JWKS()))
	// So does the proof bundle the console would seal of it, as
	// kaiconn-verify -bundle checks it.
	bundle, err := proof.Build(h, s.keys.JWKS(), s.sources(), s.keys, time.Now())
	require.NoError(t, err)
	_, err = proof.Verify(bundle, s.keys.JWKS())
	assert.NoError(t, err)

	// After the purge the download still says so, with the date.
	res = do(t, s, req{method: "GET", target: "/settings/privacy/receipts.json", sub: person.sub, cookie: person.cookie})
	assert.Equal(t, http.StatusGone, res.StatusCode)
	assert.Contains(t, bodyOf(t, res), "deleted on")

	// The browser's next decision starts a new subject.
	next := decide(t, s, "/consent", person, agree)
	newSubject, err := s.creds.ParseSubject(next.sub)
	require.NoError(t, err)
	assert.NotEqual(t, subject, newSubject)
	recs, err := s.store.Subject(ctx, newSubject)
	require.NoError(t, err)
	require.Len(t, recs, 1)
	assert.Empty(t, recs[0].PrevHash, "a new chain")

	// And erasing the old subject again still answers the same.
	status, again = erase()
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, answer, again)
	assert.True(t, bytes.Contains([]byte(again), []byte(`"kind":"erased"`)))
	assert.False(t, strings.Contains(again, "purgedAt"), "the answer does not change with the purge")
}

// With a retention of 0 the purge runs at once after an erasure, not at
// the next hour.
func TestRetentionZeroPurgesAtOnce(t *testing.T) {
	zero := time.Duration(0)
	s := testServer(t, func(c *Config) { c.ServiceToken, c.Retention, c.PurgeEvery = testServiceToken, &zero, -1 })
	person := decide(t, s, "/consent", browser{}, url.Values{"lang": {"en"}, "action": {"agree"}, "adult": {"1"}, "purpose": {"push"}})
	subject, err := s.creds.ParseSubject(person.sub)
	require.NoError(t, err)
	res := do(t, s, req{method: "DELETE", target: "/api/v1/subjects/" + subject, header: map[string]string{"Authorization": "Bearer " + testServiceToken}})
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Eventually(t, func() bool {
		recs, err := s.store.Subject(context.Background(), subject)
		return err == nil && len(recs) == 1 && recs[0].IsTombstone()
	}, 10*time.Second, 10*time.Millisecond, "the erasure kicked the purger")
}
