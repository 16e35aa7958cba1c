package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/receipt"
)

// The console's look-up shows a subject's retention state; an officer
// holds and releases it with a reason, audited; the operations page lists
// the purges.
func TestAdminRetention(t *testing.T) {
	keep := time.Hour
	cs := newConsoleServer(t, func(c *Config) { c.ServiceToken, c.Retention, c.PurgeEvery = testServiceToken, &keep, -1 })
	ctx := context.Background()
	b := cs.browser(t)
	csrf := b.mustSignIn("li.na")
	subject := cs.seeded.Subjects["app-zh"]
	page := "/admin/subjects/" + subject + "?lang=en"
	hold := "/admin/subjects/" + subject + "/hold?lang=en"

	_, body := b.do(http.MethodGet, page, nil)
	assert.Contains(t, body, "Active: the chain is open")
	assert.Contains(t, body, `data-testid="hold"`)

	t.Run("ErrNoReason", func(t *testing.T) {
		res, body := b.do(http.MethodPost, hold, url.Values{"csrf": {csrf}, "do": {"hold"}, "reason": {"  "}})
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
		assert.Contains(t, body, "A legal hold and its release need a reason.")
		assert.True(t, hasEntry(auditLog(t, cs), "li.na", console.ActionHold, "", "invalid"))
	})
	t.Run("ErrViewer", func(t *testing.T) {
		v := cs.browser(t)
		vcsrf := v.mustSignIn("zhang.wei")
		res, _ := v.do(http.MethodPost, hold, url.Values{"csrf": {vcsrf}, "do": {"hold"}, "reason": {"court order"}})
		assert.Equal(t, http.StatusForbidden, res.StatusCode)
	})

	res, _ := b.do(http.MethodPost, hold, url.Values{"csrf": {csrf}, "do": {"hold"}, "reason": {"court order 17"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	_, body = b.do(http.MethodGet, page, nil)
	assert.Contains(t, body, "by li.na: court order 17")
	assert.Contains(t, body, `data-testid="release"`)
	assert.True(t, hasEntry(auditLog(t, cs), "li.na", console.ActionHold, subject+" — court order 17", "ok"))

	// The account service erases the subject; the hold keeps it past the
	// retention.
	er, err := http.NewRequest(http.MethodDelete, cs.http.URL+"/api/v1/subjects/"+subject, nil)
	require.NoError(t, err)
	er.Header.Set("Authorization", "Bearer "+testServiceToken)
	eres, err := http.DefaultClient.Do(er)
	require.NoError(t, err)
	eres.Body.Close()
	require.Equal(t, http.StatusOK, eres.StatusCode)
	_, body = b.do(http.MethodGet, page, nil)
	assert.Contains(t, body, "at the request of the account service")
	assert.Contains(t, body, "Receipts deleted after")

	cs.purger.now = func() time.Time { return time.Now().Add(2 * keep) }
	res0, err := cs.purger.run(ctx)
	require.NoError(t, err)
	// The held subject stays; the seeded subject whose one decision gives
	// nothing (a Disagree, basic processing recorded as necessary since
	// kaiconn-receipt/3) has no consent left to prove, and goes.
	assert.Equal(t, receipt.PurgeResult{Subjects: 1, Receipts: 1, Held: 1}, res0)

	res, _ = b.do(http.MethodPost, hold, url.Values{"csrf": {csrf}, "do": {"release"}, "reason": {"case closed"}})
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.True(t, hasEntry(auditLog(t, cs), "li.na", console.ActionRelease, subject+" — case closed", "ok"))
	purged, err := cs.purger.run(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, purged.Subjects)

	res, body = b.do(http.MethodGet, page, nil)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, "Deleted on")
	assert.Contains(t, body, "only tombstones remain")
	assert.Contains(t, body, "The bodies of these 3 receipts were deleted")
	assert.Equal(t, 3, strings.Count(body, `data-testid="receipt"`))
	assert.NotContains(t, body, `data-testid="download-html"`, "nothing left to prove")
	assert.NotContains(t, body, `data-testid="hold"`, "nothing left to hold")

	res, _ = b.do(http.MethodGet, "/admin/subjects/"+subject+"/proof.json", nil)
	assert.Equal(t, http.StatusGone, res.StatusCode, "no bundle of tombstones")

	_, ops := b.do(http.MethodGet, "/admin/operations?lang=en", nil)
	rows := tableRows(t, ops, "purges")[1:] // below the head
	require.Len(t, rows, 2, "the held run and the purging run")
	assert.Equal(t, []string{"1", "3", "0", "done"}, rows[0][2:])
	assert.Equal(t, []string{"1", "1", "1", "done"}, rows[1][2:])
}
