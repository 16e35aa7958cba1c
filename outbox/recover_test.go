//go:build !wasm

package outbox_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/outbox"
	"github.com/kaiconn/consent/receipt"
)

// attest records d for subject as the server does for a form posted without
// the wasm: a server-attested receipt on the subject's head, as a decision
// made in another tab or before the wasm loaded.
func (s *server) attest(t *testing.T, subject string, d consent.Decision) receipt.Record {
	t.Helper()
	ctx := context.Background()
	prev := ""
	var previous *consent.Decision
	if h, err := s.store.Head(ctx, subject); err == nil {
		prev = h.Hash
		if consentreceipt.SameAudience(consent.Surface(h.Surface), d.Surface) {
			previous = &consent.Decision{Surface: consent.Surface(h.Surface)}
			for id, st := range h.States {
				previous.Choices = append(previous.Choices, consent.Choice{Purpose: consent.PurposeID(id), Granted: st == receipt.StateGiven})
			}
		}
	}
	p, err := consentreceipt.Params(d, consentreceipt.Meta{
		ReceiptID: outbox.NewReceiptID(), PolicySHA256: policySHA,
		Notice: notice.For(s.cat, d.Surface, d.Lang), Previous: previous,
	}, subject, prev)
	require.NoError(t, err)
	r := receipt.New(p)
	require.NoError(t, consentreceipt.Check(s.cat, r, headOf(t, s, subject), s.now()))
	env, err := receipt.Attest(r)
	require.NoError(t, err)
	canon, err := env.Canonical()
	require.NoError(t, err)
	jws, kid, err := s.keys.Countersign(canon)
	require.NoError(t, err)
	states := map[string]string{}
	for _, p := range r.Purposes {
		states[p.ID] = p.State
	}
	rec, _, err := s.store.Put(ctx, receipt.Record{
		ID: r.ID, Subject: subject, PrevHash: prev, Hash: receipt.HashBytes(canon),
		PolicyVersion: r.Policy.Version, Surface: r.Surface, IssuedAt: r.IssuedTime(),
		Body: canon, Countersig: jws, KeyID: kid, Language: r.Language, Decision: r.Decision,
		Schema: 2, States: states,
	}, receipt.PutOptions{})
	require.NoError(t, err)
	return rec
}

func headOf(t *testing.T, s *server, subject string) *consentreceipt.Head {
	h, err := s.store.Head(context.Background(), subject)
	if err != nil {
		return nil
	}
	return &consentreceipt.Head{Surface: h.Surface, States: h.States}
}

// chain checks the subject's chain as the server holds it, as
// kaiconn-verify -chain would, and returns its receipt ids.
func (s *server) chain(t *testing.T, subject string) []string {
	t.Helper()
	recs, err := s.store.Subject(context.Background(), subject)
	require.NoError(t, err)
	h := receipt.History{Subject: subject}
	var ids []string
	for _, r := range recs {
		h.Receipts = append(h.Receipts, receipt.FromRecord(r))
		ids = append(ids, r.ID)
	}
	require.NoError(t, receipt.VerifyChain(h, s.jwks))
	return ids
}

// openKeys opens an outbox that can change its key.
func (f *fixture) openKeys(t *testing.T, keys outbox.Keys) *outbox.Outbox {
	t.Helper()
	o, err := outbox.Open(context.Background(), outbox.Config{
		Store: f.store, Keys: keys, Sender: f.net, Clock: f.clock.Now,
		Backoff: outbox.Backoff{Rand: func() float64 { return 0 }},
	})
	require.NoError(t, err)
	return o
}

// order is what the server hands the wasm after a decision posted with
// device=1: the decision, a v2 meta under a ticket it minted for subject,
// and the subject's head.
func (f *fixture) order(t *testing.T, subject string, d consent.Decision) (consentreceipt.Meta, outbox.Assignment) {
	t.Helper()
	tk := credential.MintTicket(subject, f.clock.Now())
	prev := ""
	if h, err := f.srv.store.Head(context.Background(), subject); err == nil {
		prev = h.Hash
	}
	return consentreceipt.Meta{
		ReceiptID: tk.ReceiptID, PolicySHA256: policySHA,
		Notice: notice.For(f.cat, d.Surface, d.Lang), Ticket: f.srv.creds.TicketValue(tk),
	}, outbox.Assignment{Subject: subject, PrevHash: prev}
}

func (f *fixture) agree(t *testing.T, surface consent.Surface, ticked ...consent.PurposeID) consent.Decision {
	t.Helper()
	d, err := consent.Agree(f.cat, surface, ticked, consent.LangEn, f.clock.Now())
	require.NoError(t, err)
	f.clock.Advance(time.Second)
	return d
}

func stateOf(t *testing.T, e outbox.Entry, purpose string) string {
	t.Helper()
	s, err := receipt.Decode(e.Envelope)
	require.NoError(t, err)
	for _, p := range s.Receipt.Purposes {
		if p.ID == purpose {
			return p.State
		}
	}
	return ""
}

func TestTicket(t *testing.T) {
	f := newFixture(t)
	o := f.open(t)
	subject, err := o.Subject(context.Background())
	require.NoError(t, err)
	d := f.agree(t, consent.SurfaceFirstLaunch, "push")
	meta, _ := f.order(t, subject, d)
	_, err = o.Record(context.Background(), d, meta)
	require.NoError(t, err)
	require.NoError(t, o.Flush(context.Background()))
	posts := f.net.posted()
	require.Len(t, posts, 1)
	assert.Equal(t, meta.Ticket, posts[0].Header[outbox.TicketHeader], "sent with the receipt its id was minted for")
	rec, err := f.srv.store.Get(context.Background(), meta.ReceiptID)
	require.NoError(t, err)
	assert.False(t, rec.ShownAt.IsZero(), "the server took when the page was shown from it")
}

// The server's credential decides the subject: the outbox adopts it.
func TestAdopt(t *testing.T) {
	ctx := context.Background()
	t.Run("NoChainYet", func(t *testing.T) {
		f := newFixture(t)
		keys := outbox.NewMemKeys(f.signer)
		o := f.openKeys(t, keys)
		// The browser decided on a form before the wasm ran: its subject
		// holds a server-attested receipt.
		s := receipt.NewSubject()
		first := f.srv.attest(t, s, f.agree(t, consent.SurfaceFirstLaunch))
		d := f.agree(t, consent.SurfaceSettings, "push")
		meta, a := f.order(t, s, d)
		_, err := o.RecordFor(ctx, d, meta, a)
		require.NoError(t, err)
		require.NoError(t, o.Flush(ctx))
		es := entries(t, o)
		require.Len(t, es, 1)
		assert.Equal(t, outbox.StateAcknowledged, es[0].State)
		assert.Equal(t, s, es[0].Subject)
		assert.Equal(t, first.Hash, prevHash(t, es[0]), "started where the server's chain is")
		got, _ := o.Subject(ctx)
		assert.Equal(t, s, got)
		assert.Equal(t, 1, keys.Len(), "a key that signed nothing needs no successor")
		owner, err := f.srv.store.KeySubject(ctx, thumbOf(t, f.signer))
		require.NoError(t, err)
		assert.Equal(t, s, owner, "the ticket enrolled the device key")
		assert.Equal(t, []string{first.ID, es[0].ID}, f.srv.chain(t, s))
	})
	t.Run("RotatesAKeyUsedElsewhere", func(t *testing.T) {
		f := newFixture(t)
		keys := outbox.NewMemKeys(f.signer)
		o := f.openKeys(t, keys)
		old := f.decide(t, o, "push")
		require.NoError(t, o.Flush(ctx))
		own, _ := o.Subject(ctx)

		s := receipt.NewSubject()
		d := f.agree(t, consent.SurfaceSettings)
		meta, a := f.order(t, s, d)
		_, err := o.RecordFor(ctx, d, meta, a)
		require.NoError(t, err)
		require.NoError(t, o.Flush(ctx))
		es := entries(t, o)
		require.Len(t, es, 2)
		assert.Equal(t, outbox.StateAcknowledged, es[1].State, "%s", es[1].RejectMessage)
		assert.Equal(t, 2, keys.Len(), "a key signs for one subject: a new one for the new subject")
		assert.Equal(t, f.signer.PublicJWK(), *es[0].Key)
		assert.NotEqual(t, f.signer.PublicJWK(), *es[1].Key)
		assert.Equal(t, receipt.StateRefused, stateOf(t, es[1], "push"), "nothing of the old subject is withdrawn under the new one")
		assert.Equal(t, []string{old}, f.srv.chain(t, own), "the old chain stays as it was")
		assert.Equal(t, []string{es[1].ID}, f.srv.chain(t, s))

		var h receipt.History
		b, err := o.DownloadJSON(ctx)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &h))
		assert.Equal(t, s, h.Subject)
		require.NoError(t, receipt.VerifyChain(h, f.srv.jwks), "the download is one subject's chain")
	})
	t.Run("SameSubjectKeepsItsOwnChain", func(t *testing.T) {
		f := newFixture(t)
		o := f.open(t)
		f.decide(t, o, "push")
		own, _ := o.Subject(ctx)
		head := entries(t, o)[0].Hash
		d := f.agree(t, consent.SurfaceSettings)
		meta, _ := f.order(t, own, d)
		// The server has not seen the device's receipt yet: its head is
		// older than the device's.
		_, err := o.RecordFor(ctx, d, meta, outbox.Assignment{Subject: own, PrevHash: ""})
		require.NoError(t, err)
		es := entries(t, o)
		assert.Equal(t, head, prevHash(t, es[1]))
		assert.Equal(t, receipt.StateWithdrawn, stateOf(t, es[1], "push"), "after the device's own pending receipt")
		require.NoError(t, o.Flush(ctx))
		assert.Equal(t, outbox.StateAcknowledged, entries(t, o)[1].State)
	})
}

func thumbOf(t *testing.T, s receipt.Signer) string {
	t.Helper()
	th, err := s.PublicJWK().Thumbprint()
	require.NoError(t, err)
	return th
}

// A device whose chain diverged from the server's (a decision recorded
// through a form while it was offline) signs its pending receipts again on
// the server's head, and never loops.
func TestRecover(t *testing.T) {
	ctx := context.Background()
	// diverged returns an outbox whose first receipt (push given) is
	// acknowledged, and a second, queued offline, that withdraws push; while
	// it waited, the server recorded a refusal of everything on the same
	// subject.
	diverged := func(t *testing.T) (*fixture, *outbox.Outbox, string, receipt.Record) {
		f := newFixture(t)
		o := f.open(t)
		f.decide(t, o, "push", "location")
		require.NoError(t, o.Flush(ctx))
		subject, _ := o.Subject(ctx)
		f.net.set(func(n *net) { n.offline = true })
		d := f.agree(t, consent.SurfaceSettings, "location")
		d.Kind = consent.KindWithdrawn
		_, err := o.Record(ctx, d, f.meta(consent.SurfaceSettings))
		require.NoError(t, err)
		require.ErrorIs(t, o.Flush(ctx), outbox.ErrNotSent)
		declined, err := consent.Decline(f.cat, consent.SurfaceSettings, consent.LangEn, f.clock.Now())
		require.NoError(t, err)
		declined.Kind = consent.KindWithdrawn
		other := f.srv.attest(t, subject, declined)
		f.net.set(func(n *net) { n.offline = false })
		return f, o, subject, other
	}

	t.Run("RebuildsOnTheServersHead", func(t *testing.T) {
		f, o, subject, other := diverged(t)
		require.NoError(t, o.Retry(ctx))
		es := entries(t, o)
		require.Len(t, es, 2)
		e := es[1]
		assert.Equal(t, outbox.StateAcknowledged, e.State, "%s", e.RejectMessage)
		assert.Equal(t, 1, e.Rebuilds)
		assert.Equal(t, other.Hash, prevHash(t, e), "chained to the server's head")
		assert.Equal(t, receipt.StateRefused, stateOf(t, e, "push"), "the server's head no longer gave push: refused, not withdrawn")
		assert.Equal(t, receipt.StateGiven, stateOf(t, e, "location"))
		assert.Equal(t, 2, f.srv.postsOf(e.ID), "sent, refused, rebuilt, sent once more")
		assert.Equal(t, []string{es[0].ID, other.ID, e.ID}, f.srv.chain(t, subject), "one chain, verified")
		assert.Equal(t, receipt.DecisionUpdated, f.srv.decisionOf(t, e.ID),
			"after a refusal of everything, keeping location grants it: an update, not a withdrawal")
	})
	t.Run("RebuildsTheWholeTail", func(t *testing.T) {
		f, o, subject, other := diverged(t)
		f.net.set(func(n *net) { n.offline = true })
		f.decide(t, o, "push")
		f.net.set(func(n *net) { n.offline = false })
		require.NoError(t, o.Retry(ctx))
		es := entries(t, o)
		require.Len(t, es, 3)
		for _, e := range es {
			assert.Equal(t, outbox.StateAcknowledged, e.State, "%s", e.RejectMessage)
		}
		assert.Equal(t, []string{es[0].ID, other.ID, es[1].ID, es[2].ID}, f.srv.chain(t, subject))
		assert.Equal(t, es[2].Hash, mustHead(t, o), "the device's head is the server's")
	})
	t.Run("ErrBoundedThenRejected", func(t *testing.T) {
		f, o, subject, _ := diverged(t)
		// Every time the receipt goes out, another decision lands first.
		f.net.set(func(n *net) {
			n.beforePost = func() {
				d, _ := consent.Decline(f.cat, consent.SurfaceSettings, consent.LangEn, f.clock.Now())
				f.srv.attest(t, subject, d)
			}
		})
		require.NoError(t, o.Retry(ctx), "rejected, not pending: nothing left to send")
		e := entries(t, o)[1]
		assert.Equal(t, outbox.StateRejected, e.State)
		assert.Equal(t, outbox.MaxRebuilds, e.Rebuilds)
		assert.Equal(t, outbox.MaxRebuilds+1, f.srv.postsOf(e.ID))
		assert.Contains(t, e.RejectMessage, "receipt.prevHash: not the head of this subject's chain for this key")
		require.NoError(t, o.Retry(ctx))
		assert.Equal(t, outbox.MaxRebuilds+1, f.srv.postsOf(e.ID), "a rejected receipt is never sent again")
	})
	t.Run("HeadUnreachableRetriesLater", func(t *testing.T) {
		f, o, subject, other := diverged(t)
		f.net.set(func(n *net) { n.headDown = true })
		require.ErrorIs(t, o.Retry(ctx), outbox.ErrNotSent)
		e := entries(t, o)[1]
		assert.Equal(t, outbox.StatePending, e.State)
		assert.Zero(t, e.Rebuilds)
		f.net.set(func(n *net) { n.headDown = false })
		require.NoError(t, o.Retry(ctx))
		es := entries(t, o)
		assert.Equal(t, outbox.StateAcknowledged, es[1].State)
		assert.Equal(t, []string{es[0].ID, other.ID, es[1].ID}, f.srv.chain(t, subject))
	})
	t.Run("ErrKeyNotEnrolledRejected", func(t *testing.T) {
		// A subject this device's key never joined, and no ticket: the
		// server tells it nothing, and the receipt is rejected at once.
		f := newFixture(t)
		o := f.open(t)
		s := receipt.NewSubject()
		head := f.srv.attest(t, s, f.agree(t, consent.SurfaceFirstLaunch))
		d := f.agree(t, consent.SurfaceSettings, "push")
		meta, _ := f.order(t, s, d)
		meta.Ticket = ""
		_, err := o.RecordFor(ctx, d, meta, outbox.Assignment{Subject: s, PrevHash: head.Hash})
		require.NoError(t, err)
		require.NoError(t, o.Retry(ctx))
		e := entries(t, o)[0]
		assert.Equal(t, outbox.StateRejected, e.State)
		assert.Zero(t, e.Rebuilds)
		assert.Equal(t, 1, f.srv.postsOf(e.ID))
		assert.Equal(t, []string{head.ID}, f.srv.chain(t, s), "nothing joined the subject")
	})
	t.Run("TicketLetsANewKeyRecover", func(t *testing.T) {
		// The device adopts the browser's subject with the server's
		// ticket, and the subject moves before its receipt arrives: its
		// key, not enrolled yet, reads the head with the ticket.
		f := newFixture(t)
		o := f.open(t)
		s := receipt.NewSubject()
		first := f.srv.attest(t, s, f.agree(t, consent.SurfaceFirstLaunch, "push"))
		d := f.agree(t, consent.SurfaceSettings, "push", "location")
		meta, a := f.order(t, s, d)
		_, err := o.RecordFor(ctx, d, meta, a)
		require.NoError(t, err)
		moved := f.srv.attest(t, s, f.agree(t, consent.SurfaceSettings))
		require.NoError(t, o.Retry(ctx))
		e := entries(t, o)[0]
		assert.Equal(t, outbox.StateAcknowledged, e.State, "%s", e.RejectMessage)
		assert.Equal(t, 1, e.Rebuilds)
		assert.Equal(t, []string{first.ID, moved.ID, e.ID}, f.srv.chain(t, s))
	})
}

func mustHead(t *testing.T, o *outbox.Outbox) string {
	t.Helper()
	es := entries(t, o)
	return es[len(es)-1].Hash
}

func (s *server) decisionOf(t *testing.T, id string) string {
	t.Helper()
	r, err := s.store.Get(context.Background(), id)
	require.NoError(t, err)
	return r.Decision
}
