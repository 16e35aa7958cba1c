package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
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
	Store Store
	// Keys are the device's keys. When nil, Signer is the one key and the
	// device never changes it.
	Keys   Keys
	Signer receipt.Signer
	Sender Sender
	// Clock is time.Now when nil.
	Clock   func() time.Time
	Backoff Backoff
	// IdlePoll is how often Run looks at the store when nothing is due, to
	// pick up receipts another tab stored and could not send; 1 minute when
	// 0.
	IdlePoll time.Duration
}

// MaxRebuilds is how many times the outbox signs one receipt again on the
// server's head of its subject after the server said the chain moved. Past
// it the receipt is rejected with the server's message: a chain that keeps
// moving is not something signing again will fix, and the outbox must
// never loop.
const MaxRebuilds = 3

// Outbox records decisions as receipts and sends them.
type Outbox struct {
	cfg  Config
	wake chan bool // true: retry now, whatever the schedule says
	mu   sync.Mutex
}

// NewReceiptID mints a receipt id for a decision taken without the server
// (offline, or by an app that has no ticket). A surface mints it when the
// person decides and passes it with the decision, so that recording the
// same decision twice stores one receipt. Online, the id is the server's
// ticket's.
func NewReceiptID() string { return uuid.NewString() }

// Open returns an outbox on cfg.Store, giving the device its pseudonymous
// subject id on first use.
func Open(ctx context.Context, cfg Config) (*Outbox, error) {
	if cfg.Keys == nil && cfg.Signer != nil {
		cfg.Keys = oneKey{cfg.Signer}
	}
	if cfg.Store == nil || cfg.Keys == nil || cfg.Sender == nil {
		return nil, errs.New(errs.Invalid, "config: store, keys (or signer) and sender are required")
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

// Assignment is the subject the server's credential put a decision under
// (the browser's kc_sub), and that subject's head when the server
// answered.
type Assignment struct {
	Subject  string
	PrevHash string
}

// Record is RecordFor without an assignment: the receipt goes on the
// device's own chain.
func (o *Outbox) Record(ctx context.Context, d consent.Decision, meta consentreceipt.Meta) (string, error) {
	return o.RecordFor(ctx, d, meta, Assignment{})
}

// RecordFor builds the receipt of decision d, signs it with the device key,
// chains it and stores it, then wakes the sender. It returns once the
// receipt is durable, not once it is sent. Recording again under the same
// meta.ReceiptID returns the stored receipt's id and makes nothing new; a
// different decision under a used id fails with errs.Conflict.
//
// The receipt goes under a.Subject when it is set (the server's credential
// decides which subject a browser's decisions belong to): the device adopts
// it when its own subject differs, starting from a.PrevHash, with a new
// device key when its key already signed for another subject (a key signs
// for one subject only). Otherwise it goes on the device's own chain,
// after the previous receipt made on this device.
//
// When meta.Previous is nil, or the device stays on its own chain, the
// previous decision is taken from the newest receipt on the same audience
// (app or website) that the server has not rejected, so that a purpose
// granted there and refused now is recorded as withdrawn.
//
// RecordFor signs through WebCrypto in the browser, which answers with a
// promise: call it from a goroutine (go-app's ctx.Async), never from the UI
// goroutine.
func (o *Outbox) RecordFor(ctx context.Context, d consent.Decision, meta consentreceipt.Meta, a Assignment) (string, error) {
	if _, err := uuid.Parse(meta.ReceiptID); err != nil {
		return "", errs.New(errs.Invalid, "meta.receiptId: must be a UUID minted when the person decided")
	}
	if a.Subject != "" {
		if err := receipt.CheckSubject(a.Subject); err != nil {
			return "", err
		}
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
		signer, err := o.cfg.Keys.Current(ctx)
		if err != nil {
			return err
		}
		next := dev
		switch {
		case a.Subject != "" && a.Subject != dev.Subject:
			// The server's credential decides: adopt its subject, where
			// its head is, after the decision it recorded last (meta).
			if o.signedElsewhere(entries, signer.PublicJWK(), a.Subject) {
				if signer, err = o.cfg.Keys.Rotate(ctx); err != nil {
					return err
				}
			}
			next.Subject, next.Head = a.Subject, a.PrevHash
		case a.Subject != "" && dev.Head == "":
			// Its own subject, with nothing of it on this device: the
			// server knows where the chain is.
			next.Head = a.PrevHash
		case a.Subject != "" || meta.Previous == nil:
			// Its own chain: what this device recorded last, pending
			// receipts included, is newer than what the server has.
			meta.Previous = previous(entries, d.Surface, next.Subject, "")
		}
		params, err := consentreceipt.Params(d, meta, next.Subject, next.Head)
		if err != nil {
			return err
		}
		s, err := receipt.Sign(receipt.New(params), signer)
		if err != nil {
			return err
		}
		jwk := signer.PublicJWK()
		e := Entry{Seq: dev.Seq + 1, Subject: next.Subject, Key: &jwk, Decision: d, Meta: meta, State: StatePending, NextAttempt: o.now()}
		if err := setEnvelope(&e, s); err != nil {
			return err
		}
		next.Head, next.Seq = e.Hash, e.Seq
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

// signedElsewhere tells whether the key jwk signed a receipt of another
// subject than subject that the server has not rejected: the server
// enrolled it (or will) for that subject, and a key signs for one.
func (o *Outbox) signedElsewhere(entries []Entry, jwk receipt.JWK, subject string) bool {
	return slices.ContainsFunc(entries, func(e Entry) bool {
		k, s := entryKey(e)
		return e.State != StateRejected && k == jwk && s != subject
	})
}

// sameDecision compares decisions by value; times compare as instants.
func sameDecision(a, b consent.Decision) bool {
	if !a.At.Equal(b.At) {
		return false
	}
	a.At, b.At = time.Time{}, time.Time{}
	return reflect.DeepEqual(a, b)
}

// previous is the decision of the newest entry of subject on the audience
// of surface that the server has not rejected (nor is rejecting: skip),
// nil when none.
func previous(entries []Entry, surface consent.Surface, subject, skip string) *consent.Decision {
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if _, s := entryKey(e); s != subject {
			continue
		}
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
	e.Subject = s.Receipt.Subject
	e.Envelope = canon
	e.Hash = receipt.HashBytes(canon)
	return nil
}

// entryKey returns the key that signed e and e's subject. Entries stored
// before they kept both are read from their envelope.
func entryKey(e Entry) (receipt.JWK, string) {
	if e.Key != nil && e.Subject != "" {
		return *e.Key, e.Subject
	}
	s, err := receipt.Decode(e.Envelope)
	if err != nil {
		return receipt.JWK{}, e.Subject
	}
	return s.Device.JWK, s.Receipt.Subject
}

// ErrNotSent is returned (wrapped) by Flush when the oldest pending receipt
// could not be delivered: no answer, or an answer asking to retry later. It
// stays pending and is retried on schedule.
var ErrNotSent = errors.New("outbox: receipt not sent; will retry")

// Flush sends the pending receipts that are due, oldest first, and stops at
// the first that cannot be delivered or is not due yet (its successors wait
// for it). Receipts the server refuses are marked rejected and the chain is
// relinked around them. When the server says a receipt's chain moved (a
// decision recorded elsewhere for the same subject), the receipts from it
// on are signed again on the server's head and sent again, at most
// MaxRebuilds times each. Flush returns an error wrapping ErrNotSent when a
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
			reply, sendErr := o.send(ctx, e)
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
			case chainMoved(reply) && e.Rebuilds < MaxRebuilds:
				retry, err := o.rebuild(ctx, dev, entries, i)
				switch {
				case err != nil:
					return err
				case retry:
					due = o.retryLater(&e, 0, "network: no answer from the receipt service while reading the subject's head")
				default:
					continue
				}
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

// send posts e, with the ticket its id was minted with, if any.
func (o *Outbox) send(ctx context.Context, e Entry) (Reply, error) {
	req := Request{Method: http.MethodPost, Path: ReceiptsPath, Body: e.Envelope}
	if e.Meta.Ticket != "" {
		req.Header = map[string]string{TicketHeader: e.Meta.Ticket}
	}
	return o.cfg.Sender.Do(ctx, req)
}

// chainMoved tells whether the server refused a receipt because it does not
// extend its subject's chain for its key: a 422 naming receipt.prevHash.
// The API gives that one answer for a head that moved, a subject it does
// not know and a key the subject did not enroll; only reading the head
// tells which.
func chainMoved(reply Reply) bool {
	return reply.Status == http.StatusUnprocessableEntity && strings.HasPrefix(errorMessage(reply.Body), "receipt.prevHash:")
}

// head is the API's answer of GET /api/v1/subjects/{subject}/head.
type head struct {
	Subject string            `json:"subject"`
	ID      string            `json:"id"`
	Hash    string            `json:"hash"`
	Surface string            `json:"surface"`
	States  map[string]string `json:"states"`
}

// rebuild handles entries[i], refused because its chain moved: it reads the
// server's head of the entry's subject, with a proof by the key that
// signed it (and the entry's ticket, which lets a key not yet enrolled
// read the head it will chain to), and signs the pending receipts of that
// subject from entries[i] on again after that head. When the server's
// head is what the receipt already chains to, or the server will not tell
// (the key may not write to the subject), the receipt is rejected with the
// server's message. retry is true when the head could not be read for
// want of an answer: the entry is then retried later, as any send.
func (o *Outbox) rebuild(ctx context.Context, dev Device, entries []Entry, i int) (retry bool, err error) {
	e := entries[i]
	refused := Reply{Status: http.StatusUnprocessableEntity, Body: mustJSON(apiErrorOf("unprocessable", "receipt.prevHash: not the head of this subject's chain for this key"))}
	jwk, subject := entryKey(e)
	signer, err := o.cfg.Keys.Find(ctx, jwk)
	if err != nil {
		return false, err
	}
	if signer == nil {
		return false, o.reject(ctx, dev, entries, i, refused)
	}
	h, status, err := o.readHead(ctx, subject, signer, e.Meta.Ticket)
	switch {
	case err != nil:
		return true, nil
	case status == http.StatusNotFound:
		h = head{} // the subject has no receipt: start it
	case status != http.StatusOK:
		return false, o.reject(ctx, dev, entries, i, refused)
	}
	if old, err := receipt.Decode(e.Envelope); err == nil && old.Receipt.PrevHash == h.Hash {
		// Already on the server's head: the key is what the server refuses.
		return false, o.reject(ctx, dev, entries, i, refused)
	}
	prev := h.Hash
	var last *consent.Decision
	if h.Hash != "" {
		last = headDecision(h)
	}
	var changed []Entry
	for j := i; j < len(entries); j++ {
		x := entries[j]
		if _, s := entryKey(x); s != subject || x.State == StateRejected {
			continue
		}
		if x.State != StatePending {
			continue
		}
		var before *consent.Decision
		if last != nil && consentreceipt.SameAudience(last.Surface, x.Decision.Surface) {
			before = last
		}
		if before == nil {
			// An earlier rebuilt entry of this audience, else nothing the
			// server's head tells.
			for k := len(changed) - 1; k >= 0; k-- {
				if consentreceipt.SameAudience(changed[k].Decision.Surface, x.Decision.Surface) {
					before = &changed[k].Decision
					break
				}
			}
		}
		xs, err := o.cfg.Keys.Find(ctx, *keyOf(x))
		if err != nil {
			return false, err
		}
		if xs == nil {
			xs = signer
		}
		if err := o.resign(&x, xs, subject, prev, before); err != nil {
			return false, err
		}
		x.Rebuilds++
		x.LastError = "rebuilt on the subject's head on the server"
		x.NextAttempt = o.now()
		prev = x.Hash
		d := x.Decision
		last = &d
		changed = append(changed, x)
	}
	next := dev
	if subject == dev.Subject {
		next.Head = prev
	}
	return false, o.cfg.Store.Save(ctx, &dev, &next, changed...)
}

func keyOf(e Entry) *receipt.JWK {
	k, _ := entryKey(e)
	return &k
}

// headDecision is the decision the server's head recorded, as far as its
// states tell: which purposes it gave.
func headDecision(h head) *consent.Decision {
	d := &consent.Decision{Surface: consent.Surface(h.Surface)}
	ids := make([]string, 0, len(h.States))
	for id := range h.States {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		d.Choices = append(d.Choices, consent.Choice{Purpose: consent.PurposeID(id), Granted: h.States[id] == receipt.StateGiven})
	}
	return d
}

// readHead asks the server for subject's head with a proof by signer over
// a fresh nonce. err is set when no answer came.
func (o *Outbox) readHead(ctx context.Context, subject string, signer receipt.Signer, ticket string) (head, int, error) {
	reply, err := o.cfg.Sender.Do(ctx, Request{Method: http.MethodGet, Path: NoncePath})
	if err != nil {
		return head{}, 0, err
	}
	if reply.Status != http.StatusOK {
		return head{}, reply.Status, nil
	}
	var n struct {
		Nonce string `json:"nonce"`
	}
	if err := json.Unmarshal(reply.Body, &n); err != nil || n.Nonce == "" {
		return head{}, http.StatusBadGateway, nil
	}
	proof, err := receipt.SignHistoryProof(subject, o.now(), n.Nonce, signer)
	if err != nil {
		return head{}, 0, err
	}
	hdr := map[string]string{"Authorization": receipt.ProofScheme + " " + proof}
	if ticket != "" {
		hdr[TicketHeader] = ticket
	}
	reply, err = o.cfg.Sender.Do(ctx, Request{Method: http.MethodGet, Path: headPath(subject), Header: hdr})
	if err != nil {
		return head{}, 0, err
	}
	var h head
	if reply.Status == http.StatusOK {
		if err := json.Unmarshal(reply.Body, &h); err != nil || h.Subject != subject {
			return head{}, http.StatusBadGateway, nil
		}
	}
	return h, reply.Status, nil
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

func apiErrorOf(code, message string) apiError {
	var a apiError
	a.Error.Code, a.Error.Message = code, message
	return a
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func errorMessage(body []byte) string {
	var a apiError
	if json.Unmarshal(body, &a) != nil || a.Error.Message == "" {
		return "no message"
	}
	return a.Error.Message
}

// reject marks entries[i] rejected with the server's message and relinks
// the pending receipts of its subject after it to the receipt before it,
// building them again: none of them has been sent (a receipt is sent only
// once its predecessor is acknowledged), so none is known to the server
// under its old hash.
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
	_, subject := entryKey(e)

	prev := ""
	for _, x := range entries[:i] {
		if _, s := entryKey(x); s == subject && x.State != StateRejected {
			prev = x.Hash
		}
	}
	for j, x := range entries[i+1:] {
		if _, s := entryKey(x); s != subject || x.State == StateRejected {
			continue
		}
		// What the receipt withdraws depends on the receipt before it,
		// which is now another one: build it again, not just relink it.
		before := previous(entries[:i+1+j], x.Decision.Surface, subject, e.ID)
		signer, err := o.cfg.Keys.Find(ctx, *keyOf(x))
		if err != nil {
			return err
		}
		if signer == nil {
			return errs.New(errs.Internal, "outbox: the key that signed receipt %s is gone", x.ID)
		}
		if err := o.resign(&x, signer, subject, prev, before); err != nil {
			return err
		}
		prev = x.Hash
		entries[i+1+j] = x
		changed = append(changed, x)
	}
	next := dev
	if subject == dev.Subject {
		next.Head = prev
	}
	return o.cfg.Store.Save(ctx, &dev, &next, changed...)
}

// resign builds e's receipt again from its decision under subject, chained
// to prevHash, after previous (nil when none on the audience), and signs it
// with signer. A withdrawal that previous makes a grant is stated as an
// update (consentreceipt.ConsistentKind).
func (o *Outbox) resign(e *Entry, signer receipt.Signer, subject, prevHash string, previous *consent.Decision) error {
	meta := e.Meta
	meta.Previous = previous
	d := e.Decision
	d.Kind = consentreceipt.ConsistentKind(d, previous)
	params, err := consentreceipt.Params(d, meta, subject, prevHash)
	if err != nil {
		return err
	}
	signed, err := receipt.Sign(receipt.New(params), signer)
	if err != nil {
		return err
	}
	jwk := signer.PublicJWK()
	e.Meta, e.Key = meta, &jwk
	return setEnvelope(e, signed)
}

// Receipts returns every receipt of the device, oldest first, with its state
// and, once acknowledged, the server's countersignature: the history the
// privacy settings show.
func (o *Outbox) Receipts(ctx context.Context) ([]Entry, error) {
	_, entries, err := o.cfg.Store.Load(ctx)
	return entries, err
}

// DownloadJSON returns the device's acknowledged receipts of its subject as
// a receipt.History, the file `kaiconn-verify -chain` checks. Pending and
// rejected receipts are left out: the first has no countersignature yet and
// the second is not part of the chain; so are receipts of a subject the
// device had before it adopted the server's. Receipts of the subject that
// another browser or a form recorded are the server's to give
// (/settings/privacy/receipts.json).
func (o *Outbox) DownloadJSON(ctx context.Context) ([]byte, error) {
	dev, entries, err := o.cfg.Store.Load(ctx)
	if err != nil {
		return nil, err
	}
	h := receipt.History{Subject: dev.Subject, Receipts: []receipt.Countersigned{}}
	for _, e := range entries {
		if _, s := entryKey(e); e.State != StateAcknowledged || s != dev.Subject {
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
