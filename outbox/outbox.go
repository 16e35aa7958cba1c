package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// Config is what an Outbox works with.
type Config struct {
	Store  Store
	Signer receipt.Signer // the device key
	Sender Sender
	// Clock is time.Now when nil.
	Clock   func() time.Time
	Backoff Backoff
	// IdlePoll is how often Run looks at the store when nothing is due, to
	// pick up receipts another tab stored and could not send; 1 minute when
	// 0.
	IdlePoll time.Duration
}

// Outbox records decisions as receipts and sends them.
type Outbox struct {
	cfg  Config
	wake chan bool // true: retry now, whatever the schedule says
	mu   sync.Mutex
}

// NewReceiptID mints a receipt id. A surface mints it when the person
// decides and passes it with the decision, so that recording the same
// decision twice stores one receipt.
func NewReceiptID() string { return uuid.NewString() }

// Open returns an outbox on cfg.Store, giving the device its pseudonymous
// subject id on first use.
func Open(ctx context.Context, cfg Config) (*Outbox, error) {
	if cfg.Store == nil || cfg.Signer == nil || cfg.Sender == nil {
		return nil, errs.New(errs.Invalid, "config: store, signer and sender are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.IdlePoll <= 0 {
		cfg.IdlePoll = time.Minute
	}
	o := &Outbox{cfg: cfg, wake: make(chan bool, 1)}
	err := cfg.Store.Lock(ctx, func(ctx context.Context) error {
		dev, _, err := cfg.Store.Load(ctx)
		if err != nil || dev.Subject != "" {
			return err
		}
		next := Device{Subject: receipt.NewSubject()}
		return cfg.Store.Save(ctx, &dev, &next)
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: open: %w", err)
	}
	return o, nil
}

// Subject returns the device's pseudonymous subject id.
func (o *Outbox) Subject(ctx context.Context) (string, error) {
	dev, _, err := o.cfg.Store.Load(ctx)
	return dev.Subject, err
}

// Record builds the receipt of decision d, signs it with the device key,
// chains it to the previous receipt made on this device and stores it, then
// wakes the sender. It returns once the receipt is durable, not once it is
// sent. Recording again under the same meta.ReceiptID returns the stored
// receipt's id and makes nothing new; a different decision under a used id
// fails with errs.Conflict.
//
// When meta.Previous is nil it is taken from the newest receipt on the same
// audience (app or website) that the server has not rejected, so that a
// purpose granted there and refused now is recorded as withdrawn.
//
// Record signs through WebCrypto in the browser, which answers with a
// promise: call it from a goroutine (go-app's ctx.Async), never from the UI
// goroutine.
func (o *Outbox) Record(ctx context.Context, d consent.Decision, meta consentreceipt.Meta) (string, error) {
	if _, err := uuid.Parse(meta.ReceiptID); err != nil {
		return "", errs.New(errs.Invalid, "meta.receiptId: must be a UUID minted when the person decided")
	}
	err := o.cfg.Store.Lock(ctx, func(ctx context.Context) error {
		dev, entries, err := o.cfg.Store.Load(ctx)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.ID != meta.ReceiptID {
				continue
			}
			if !sameDecision(e.Decision, d) {
				return errs.New(errs.Conflict, "meta.receiptId: already records another decision")
			}
			return nil
		}
		if meta.Previous == nil {
			meta.Previous = previous(entries, d.Surface, "")
		}
		params, err := consentreceipt.Params(d, meta, dev.Subject, dev.Head)
		if err != nil {
			return err
		}
		s, err := receipt.Sign(receipt.New(params), o.cfg.Signer)
		if err != nil {
			return err
		}
		e := Entry{Seq: dev.Seq + 1, Decision: d, Meta: meta, State: StatePending, NextAttempt: o.now()}
		if err := setEnvelope(&e, s); err != nil {
			return err
		}
		next := Device{Subject: dev.Subject, Head: e.Hash, Seq: e.Seq}
		// The lock already keeps other tabs out; the expectation guards the
		// chain where the browser has no Web Locks.
		return o.cfg.Store.Save(ctx, &dev, &next, e)
	})
	if err != nil {
		return "", err
	}
	o.Wake(false)
	return meta.ReceiptID, nil
}

// sameDecision compares decisions by value; times compare as instants.
func sameDecision(a, b consent.Decision) bool {
	if !a.At.Equal(b.At) {
		return false
	}
	a.At, b.At = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// previous is the decision of the newest entry on the audience of surface
// that the server has not rejected (nor is being rejected: skip), nil when
// none.
func previous(entries []Entry, surface consent.Surface, skip string) *consent.Decision {
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.State != StateRejected && e.ID != skip && consentreceipt.SameAudience(e.Decision.Surface, surface) {
			return &e.Decision
		}
	}
	return nil
}

func setEnvelope(e *Entry, s *receipt.Signed) error {
	canon, err := s.Canonical()
	if err != nil {
		return err
	}
	e.ID = s.Receipt.ID
	e.Envelope = canon
	e.Hash = receipt.HashBytes(canon)
	return nil
}

// ErrNotSent is returned (wrapped) by Flush when the oldest pending receipt
// could not be delivered: no answer, or an answer asking to retry later. It
// stays pending and is retried on schedule.
var ErrNotSent = errors.New("outbox: receipt not sent; will retry")

// Flush sends the pending receipts that are due, oldest first, and stops at
// the first that cannot be delivered or is not due yet (its successors wait
// for it). Receipts the server refuses are marked rejected and the chain is
// relinked around them. Flush returns an error wrapping ErrNotSent when a
// receipt is still waiting for a retry.
func (o *Outbox) Flush(ctx context.Context) error {
	_, err := o.flush(ctx, false)
	return err
}

// Retry is Flush without waiting for the schedule: the oldest pending
// receipt is tried now. The browser calls it on page load and when it comes
// back online.
func (o *Outbox) Retry(ctx context.Context) error {
	_, err := o.flush(ctx, true)
	return err
}

// flush returns when the next attempt is due, zero when nothing is pending.
func (o *Outbox) flush(ctx context.Context, now bool) (time.Time, error) {
	var due time.Time
	err := o.cfg.Store.Lock(ctx, func(ctx context.Context) error {
		for {
			dev, entries, err := o.cfg.Store.Load(ctx)
			if err != nil {
				return err
			}
			i := firstPending(entries)
			if i < 0 {
				due = time.Time{}
				return nil
			}
			e := entries[i]
			if !now && e.NextAttempt.After(o.now()) {
				due = e.NextAttempt
				return nil
			}
			now = false
			reply, sendErr := o.cfg.Sender.Send(ctx, e.Envelope)
			if ctx.Err() != nil {
				// The page is going away; whether it arrived or not, the
				// receipt is resent later and the server answers the same.
				return ctx.Err()
			}
			switch {
			case sendErr != nil:
				due = o.retryLater(&e, 0, "network: no answer from the receipt service")
			case reply.Status >= 200 && reply.Status < 300:
				if err := acknowledge(&e, reply.Body); err != nil {
					due = o.retryLater(&e, 0, err.Error())
					break
				}
				if err := o.cfg.Store.Save(ctx, nil, nil, e); err != nil {
					return err
				}
				continue
			case reply.Status == http.StatusRequestTimeout || reply.Status == http.StatusTooManyRequests || reply.Status >= 500:
				due = o.retryLater(&e, retryAfter(reply.RetryAfter), fmt.Sprintf("status %d: %s", reply.Status, errorMessage(reply.Body)))
			default:
				if err := o.reject(ctx, dev, entries, i, reply); err != nil {
					return err
				}
				continue
			}
			if err := o.cfg.Store.Save(ctx, nil, nil, e); err != nil {
				return err
			}
			return fmt.Errorf("%w: receipt %s: %s", ErrNotSent, e.ID, e.LastError)
		}
	})
	return due, err
}

func firstPending(entries []Entry) int {
	for i, e := range entries {
		if e.State == StatePending {
			return i
		}
	}
	return -1
}

// retryLater schedules the next attempt after a failure; the server's
// Retry-After wins when it asks for longer than the backoff.
func (o *Outbox) retryLater(e *Entry, atLeast time.Duration, why string) time.Time {
	e.Attempts++
	e.LastError = why
	e.NextAttempt = o.now().Add(max(o.cfg.Backoff.Delay(e.Attempts), atLeast))
	return e.NextAttempt
}

func retryAfter(h string) time.Duration {
	if s, err := strconv.Atoi(h); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// ack is the API's answer to a stored receipt.
type ack struct {
	ID               string    `json:"id"`
	Hash             string    `json:"hash"`
	Countersignature string    `json:"countersignature"`
	KeyID            string    `json:"kid"`
	ReceivedAt       time.Time `json:"receivedAt"`
}

func acknowledge(e *Entry, body []byte) error {
	var a ack
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("acknowledgement: unreadable")
	}
	if a.ID != e.ID || a.Hash != e.Hash || a.Countersignature == "" {
		return fmt.Errorf("acknowledgement: is not for this receipt")
	}
	e.State = StateAcknowledged
	e.Countersignature, e.KeyID, e.ReceivedAt = a.Countersignature, a.KeyID, a.ReceivedAt
	e.LastError, e.NextAttempt = "", time.Time{}
	return nil
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func errorMessage(body []byte) string {
	var a apiError
	if json.Unmarshal(body, &a) != nil || a.Error.Message == "" {
		return "no message"
	}
	return a.Error.Message
}

// reject marks entries[i] rejected with the server's message and relinks
// the pending receipts after it to the receipt before it, re-signing them:
// none of them has been sent (a receipt is sent only once its predecessor
// is acknowledged), so none is known to the server under its old hash.
func (o *Outbox) reject(ctx context.Context, dev Device, entries []Entry, i int, reply Reply) error {
	var a apiError
	_ = json.Unmarshal(reply.Body, &a)
	e := entries[i]
	e.State = StateRejected
	e.RejectCode = a.Error.Code
	if e.RejectCode == "" {
		e.RejectCode = strconv.Itoa(reply.Status)
	}
	e.RejectMessage = fmt.Sprintf("status %d: %s", reply.Status, errorMessage(reply.Body))
	e.LastError, e.NextAttempt = "", time.Time{}
	changed := []Entry{e}

	prev := ""
	for _, x := range entries[:i] {
		if x.State != StateRejected {
			prev = x.Hash
		}
	}
	for j, x := range entries[i+1:] {
		if x.State == StateRejected {
			continue
		}
		// What the receipt withdraws depends on the receipt before it,
		// which is now another one: build it again, not just relink it.
		previous := previous(entries[:i+1+j], x.Decision.Surface, e.ID)
		if err := o.resign(&x, dev.Subject, prev, previous); err != nil {
			return err
		}
		prev = x.Hash
		entries[i+1+j] = x
		changed = append(changed, x)
	}
	next := dev
	next.Head = prev
	return o.cfg.Store.Save(ctx, &dev, &next, changed...)
}

// resign builds e's receipt again from its decision under subject, chained
// to prevHash, after previous (nil when none on the audience), and signs it.
func (o *Outbox) resign(e *Entry, subject, prevHash string, previous *consent.Decision) error {
	meta := e.Meta
	meta.Previous = previous
	params, err := consentreceipt.Params(e.Decision, meta, subject, prevHash)
	if err != nil {
		return err
	}
	signed, err := receipt.Sign(receipt.New(params), o.cfg.Signer)
	if err != nil {
		return err
	}
	e.Meta = meta
	return setEnvelope(e, signed)
}

// Receipts returns every receipt of the device, oldest first, with its state
// and, once acknowledged, the server's countersignature: the history the
// privacy settings show.
func (o *Outbox) Receipts(ctx context.Context) ([]Entry, error) {
	_, entries, err := o.cfg.Store.Load(ctx)
	return entries, err
}

// DownloadJSON returns the device's acknowledged receipts as a
// receipt.History, the file `kaiconn-verify -chain` checks. Pending and
// rejected receipts are left out: the first has no countersignature yet and
// the second is not part of the chain.
func (o *Outbox) DownloadJSON(ctx context.Context) ([]byte, error) {
	dev, entries, err := o.cfg.Store.Load(ctx)
	if err != nil {
		return nil, err
	}
	h := receipt.History{Subject: dev.Subject, Receipts: []receipt.Countersigned{}}
	for _, e := range entries {
		if e.State != StateAcknowledged {
			continue
		}
		h.Receipts = append(h.Receipts, receipt.Countersigned{
			ID: e.ID, Hash: e.Hash, Envelope: e.Envelope,
			Countersignature: e.Countersignature, KeyID: e.KeyID, ReceivedAt: e.ReceivedAt,
		})
	}
	return json.MarshalIndent(h, "", "  ")
}

// Wake asks Run to flush now; with retryNow the oldest pending receipt is
// tried even if its backoff has not elapsed (the browser came back online).
func (o *Outbox) Wake(retryNow bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	select {
	case o.wake <- retryNow:
	default:
		if retryNow {
			// Replace a queued plain wake by a retry.
			<-o.wake
			o.wake <- true
		}
	}
}

// Run sends receipts until ctx ends: at once (a page load retries what the
// last visit left), whenever Record or Wake asks, when the oldest pending
// receipt is due, and every IdlePoll to pick up what another tab stored.
func (o *Outbox) Run(ctx context.Context) error {
	retryNow := true
	for {
		due, err := o.flush(ctx, retryNow)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		wait := o.cfg.IdlePoll
		if err == nil || errors.Is(err, ErrNotSent) {
			if !due.IsZero() {
				wait = min(max(due.Sub(o.now()), 0), o.cfg.IdlePoll)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case retryNow = <-o.wake:
		case <-t.C:
			retryNow = false
		}
		t.Stop()
	}
}

func (o *Outbox) now() time.Time { return o.cfg.Clock() }
