package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/receipt"
)

// TestOutboxStatesAnOrderOnItsChain: the app bundle's order endpoint shows
// no head and states a settings change against the decision the page
// showed, the host's state: turning location off while push stays on is
// withdrawn, as the bridge message said. The real outbox.js moves it onto
// the device's chain. After the device's own receipt of that decision
// nothing changes but prevHash, so the receipt says withdrawn; on a device
// that holds nothing of the subject (its storage lost, the host's state
// kept) the chain starts with it, where no receipt gave location: it is
// refused, the change an update, and the receipt API accepts it, so
// nothing is lost.
func TestOutboxStatesAnOrderOnItsChain(t *testing.T) {
	cat, err := consent.LoadCatalogue(catalogues.FS, catalogues.Latest)
	require.NoError(t, err)
	now := time.Now()
	host, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"location", "push"}, consent.LangEn, now.Add(-2*time.Hour))
	require.NoError(t, err)
	change, err := consent.Withdraw(cat, host, consent.SurfaceSettings, consent.LangEn, now.Add(-time.Hour), "location")
	require.NoError(t, err)
	require.Equal(t, consent.KindWithdrawn, change.Kind)
	// order is the order of d by subject as the bundle's order endpoint
	// states it: against previous, showing no head.
	order := func(d consent.Decision, previous *consent.Decision, id, subject string) string {
		o, err := consentreceipt.NewOrder(d, consentreceipt.Meta{ReceiptID: id, PolicySHA256: outboxPolicySHA, Previous: previous,
			Purposes: consentreceipt.Purposes(cat, d.Surface, consent.LangEn)}, subject, "")
		require.NoError(t, err)
		b, err := json.Marshal(o)
		require.NoError(t, err)
		return "kaiconnOutbox.record(" + string(b) + ")"
	}
	entryOf := func(st outboxState, id string) deviceEntry {
		for _, e := range st.Entries {
			if e.ID == id {
				return e
			}
		}
		require.FailNow(t, "no entry "+id)
		return deviceEntry{}
	}

	t.Run("AfterTheDevicesOwn", func(t *testing.T) {
		srv := startOutboxServer(t)
		tab := newTab(t)
		openOutboxPage(t, tab, srv.URL+"/")
		srv.setDown(true)
		subject := uuid.NewString()
		first, second := uuid.NewString(), uuid.NewString()
		await(t, tab, order(host, nil, first, subject))
		await(t, tab, order(change, &host, second, subject))
		waitState(t, tab, "both waiting", func(st outboxState) bool { return len(st.Entries) == 2 })
		srv.setDown(false)
		do(t, tab, chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new Event("online"))`))
		st := waitState(t, tab, "both acknowledged", func(st outboxState) bool {
			return len(st.Entries) == 2 && st.Entries[0].State == stateAcknowledged && st.Entries[1].State == stateAcknowledged
		})
		r := decode(t, entryOf(st, second).Envelope)
		assert.Equal(t, entryOf(st, first).Hash, r.Receipt.PrevHash, "chained after the device's own receipt")
		assert.Equal(t, receipt.DecisionWithdrawn, r.Receipt.Decision, "what the message said")
		assert.Equal(t, receipt.StateWithdrawn, states(r)["location"])
		assert.Equal(t, receipt.StateGiven, states(r)["push"])
	})

	t.Run("AfterNone", func(t *testing.T) {
		srv := startOutboxServer(t)
		tab := newTab(t)
		openOutboxPage(t, tab, srv.URL+"/")
		id := uuid.NewString()
		await(t, tab, order(change, &host, id, uuid.NewString()))
		st := waitState(t, tab, "acknowledged", func(st outboxState) bool {
			return len(st.Entries) == 1 && st.Entries[0].State != statePending
		})
		require.Equal(t, stateAcknowledged, st.Entries[0].State, st.Entries[0].RejectMessage)
		r := decode(t, st.Entries[0].Envelope)
		assert.Empty(t, r.Receipt.PrevHash)
		assert.Equal(t, receipt.DecisionUpdated, r.Receipt.Decision)
		assert.Equal(t, receipt.StateRefused, states(r)["location"])
		assert.Equal(t, receipt.StateGiven, states(r)["push"])
		assert.Zero(t, st.Entries[0].Rebuilds, "signed right the first time")
	})
}
