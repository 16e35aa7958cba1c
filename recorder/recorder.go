package recorder

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// Config is what a Recorder works with.
type Config struct {
	// Store keeps the records; its Put is the last word on chains, key
	// enrolments and receipt ids, atomically.
	Store receipt.Store
	// Keys countersign every receipt kept.
	Keys *receipt.Keyring
	// Validator checks a receipt's form, signature, policy text and time.
	Validator *receipt.Validator
	// Catalogue returns the purpose catalogue of a policy version, against
	// which every receipt's content is checked before it is countersigned.
	Catalogue func(version string) (*consent.Catalogue, bool)
	// PolicyHash is the hash of a policy version's text in a language,
	// which the server's own receipts name (Decision, Order).
	PolicyHash func(version, lang string) (string, bool)
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Recorder keeps receipts. It is safe for concurrent use.
type Recorder struct {
	cfg Config
	// subjects holds one form decision of a subject at a time (Decision).
	subjects keyedMutex
}

// New returns a Recorder of cfg.
func New(cfg Config) *Recorder {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Catalogue == nil {
		cfg.Catalogue = func(string) (*consent.Catalogue, bool) { return nil, false }
	}
	if cfg.PolicyHash == nil {
		cfg.PolicyHash = func(string, string) (string, bool) { return "", false }
	}
	return &Recorder{cfg: cfg, subjects: keyedMutex{held: map[string]*keyedEntry{}}}
}

// ErrChain is the one answer for a device's receipt that may not extend its
// subject's chain: a wrong head, a subject that does not exist, a key not
// enrolled for the subject (or enrolled for another). One message, so that
// nobody learns from it which subjects exist or which keys they enrolled.
// An outbox that gets it rebuilds on the subject's head and tries again.
var ErrChain = errs.New(errs.Unprocessable, "receipt.prevHash: not the head of this subject's chain for this key")

// ErrBusy answers a form decision whose subject's chain kept moving for
// longer than chainWait: many decisions of one subject at once, on several
// nodes. It is retryable, and nothing was stored.
var ErrBusy = errs.New(errs.Conflict, "subject: too many decisions at once; please try again")

// errIDUsed answers a receipt whose id already holds another receipt.
var errIDUsed = errs.New(errs.Conflict, "receipt.id: already used by a different receipt")

// Admission is what the caller's credentials allow a device's receipt, as
// the API reads them from the request: whether its key may join the
// receipt's existing subject (a ticket for this receipt, presented by the
// browser that holds the subject's own credential), and when the page that
// minted the ticket was shown (zero without a ticket).
type Admission struct {
	Join    bool
	ShownAt time.Time
}

// Device checks, countersigns and stores a device's signed receipt s, whose
// canonical bytes are canon. admit is asked once the device's signature
// verified; its error refuses the receipt.
//
// It returns the stored record and whether this call created it. A retry of
// a receipt already stored gets that record back (created false), even if
// the chain has moved on or the receipt has aged since: every refusal looks
// the id up first, so that the receipts taken in, nearly all of them new,
// cost no lookup. Another receipt under a used id is errs.Conflict. Every
// way the receipt may not extend its subject is ErrChain.
func (rc *Recorder) Device(ctx context.Context, s *receipt.Signed, canon []byte, admit func() (Admission, error)) (receipt.Record, bool, error) {
	hash := receipt.HashBytes(canon)
	refuse := func(err error) (receipt.Record, bool, error) {
		switch stored, gerr := rc.cfg.Store.Get(ctx, s.Receipt.ID); errs.Code(gerr) {
		case "":
			return answer(stored, hash)
		case errs.NotFound:
			return receipt.Record{}, false, err
		default:
			return receipt.Record{}, false, gerr
		}
	}
	if err := rc.cfg.Validator.ValidateSignedCanonical(s, canon); err != nil {
		return refuse(err)
	}
	// The device signature verified, so the key parses.
	deviceKey, err := s.Device.JWK.Thumbprint()
	if err != nil {
		return receipt.Record{}, false, err
	}
	adm, err := admit()
	if err != nil {
		return refuse(err)
	}
	head, keySubject, err := rc.mayExtend(ctx, &s.Receipt, deviceKey, adm.Join)
	if err != nil {
		return refuse(err)
	}
	cat, ok := rc.cfg.Catalogue(s.Receipt.Policy.Version)
	if !ok {
		return refuse(errs.New(errs.Unprocessable, "receipt.policy.version: no catalogue for policy %q", s.Receipt.Policy.Version))
	}
	rec, err := rc.countersigned(cat, &s.Receipt, canon, head)
	if err != nil {
		if errs.Code(err) == errs.Internal {
			return receipt.Record{}, false, err
		}
		return refuse(err)
	}
	rec.DeviceKey, rec.ShownAt = deviceKey, adm.ShownAt
	// A key enrolled nowhere that joins on no credential may only start a
	// subject: the store refuses it atomically once the subject has a
	// receipt, however the race with its first receipt went.
	opt := receipt.PutOptions{EnrollKey: adm.Join, NewSubject: keySubject == "" && !adm.Join}
	stored, created, err := rc.cfg.Store.Put(ctx, rec, opt)
	switch {
	case errs.Code(err) == errs.Conflict, errs.Code(err) == errs.Forbidden:
		// The chain moved, or the key rules refused, after the checks
		// above: the same one answer.
		return refuse(ErrChain)
	case err != nil:
		return receipt.Record{}, false, err
	case !created:
		// Another request with the same id won the race.
		return answer(stored, hash)
	}
	return stored, true, nil
}

// answer is what a receipt whose id is already stored gets: the stored
// record for the same receipt, a conflict for a different one.
func answer(stored receipt.Record, hash string) (receipt.Record, bool, error) {
	if stored.Hash != hash {
		return receipt.Record{}, false, errIDUsed
	}
	return stored, false, nil
}

// countersigned is the one way a receipt becomes a record: it checks r
// against catalogue cat and the subject's head (consentreceipt.Check), so
// that the server never vouches for a text, recipient or state the person
// was not shown, countersigns its canonical bytes and builds the record the
// store keeps. A refusal of the check keeps its code; a failure to
// countersign is internal.
func (rc *Recorder) countersigned(cat *consent.Catalogue, r *receipt.Receipt, canon []byte, head *consentreceipt.Head) (receipt.Record, error) {
	if err := consentreceipt.Check(cat, r, head, rc.cfg.Now()); err != nil {
		return receipt.Record{}, err
	}
	jws, kid, err := rc.cfg.Keys.Countersign(canon)
	if err != nil {
		return receipt.Record{}, err
	}
	return receipt.Record{
		ID:            r.ID,
		Subject:       r.Subject,
		PrevHash:      r.PrevHash,
		Hash:          receipt.HashBytes(canon),
		PolicyVersion: r.Policy.Version,
		Surface:       r.Surface,
		IssuedAt:      r.IssuedTime(),
		// Milliseconds, so that every store keeps the time exactly and a
		// retry's answer equals the first one.
		ReceivedAt: rc.cfg.Now().UTC().Truncate(time.Millisecond),
		Body:       canon,
		Countersig: jws,
		KeyID:      kid,
		Language:   r.Language,
		Decision:   r.Decision,
		Schema:     receipt.SchemaNumber(r.Schema),
		States:     r.States(),
	}, nil
}

// mayExtend applies the chain and key rules that Store.Put applies again
// atomically, before anything is spent on the receipt, and returns what the
// subject's head says for the catalogue check. Every refusal is ErrChain,
// and comes before the content check, so that a key that may not write to a
// subject learns nothing of its head either.
func (rc *Recorder) mayExtend(ctx context.Context, r *receipt.Receipt, deviceKey string, join bool) (head *consentreceipt.Head, keySubject string, err error) {
	f, err := rc.chainFacts(ctx, r.Subject, deviceKey)
	if err != nil {
		return nil, "", err
	}
	exists, owner := f.Exists, f.KeySubject
	switch {
	case owner != "" && owner != r.Subject: // a key signs for one subject
		return nil, "", ErrChain
	case exists && owner == "" && !join: // a key the subject never enrolled
		return nil, "", ErrChain
	case !exists && r.PrevHash != "", exists && r.PrevHash != f.Hash:
		return nil, "", ErrChain
	case !exists:
		return nil, owner, nil
	}
	return &consentreceipt.Head{Surface: f.Surface, States: f.States}, owner, nil
}

// chainFacts reads the subject's head and the key's subject: in one
// look-up when the store offers it (receipt.ChainFactsReader), else with
// Tip and KeySubject.
func (rc *Recorder) chainFacts(ctx context.Context, subject, deviceKey string) (receipt.ChainFacts, error) {
	if cr, ok := rc.cfg.Store.(receipt.ChainFactsReader); ok {
		return cr.ChainFacts(ctx, subject, deviceKey)
	}
	var f receipt.ChainFacts
	head, err := rc.cfg.Store.Tip(ctx, subject)
	switch errs.Code(err) {
	case "":
		f.Exists, f.Hash, f.Surface, f.States = true, head.Hash, head.Surface, head.States
	case errs.NotFound:
	default:
		return receipt.ChainFacts{}, err
	}
	f.KeySubject, err = rc.cfg.Store.KeySubject(ctx, deviceKey)
	switch errs.Code(err) {
	case "":
	case errs.NotFound:
		f.KeySubject = ""
	default:
		return receipt.ChainFacts{}, err
	}
	return f, nil
}

// Credential is what a decision posted on one of the server's forms is
// recorded under: the subject and receipt id the server chose from the
// browser's kc_sub and the page's ticket (docs/threat-model.md, "Form
// decisions").
type Credential struct {
	Subject   string
	ReceiptID string
	// ShownAt is the mint time of the ticket the page was rendered with;
	// zero when the post carried none that could be used.
	ShownAt time.Time
	// Ticket names ReceiptID and Subject: the one posted when it could be
	// used, else a fresh one. The device that signs the receipt sends it to
	// the API beside the browser's kc_sub, which then lets it enroll its
	// key for Subject.
	Ticket string
	// FromTicket says that Subject is the posted ticket's, taken because it
	// had no receipt and the browser no kc_sub: it counts only while it has
	// none, which the store checks again as it stores.
	FromTicket bool
	// Replay is set by Decision when the ticket's id already held this very
	// decision: nothing new was stored, and the post gets no subject
	// credential for it.
	Replay bool
}

// Decision turns a consent decision made on a server-rendered form into a
// stored, countersigned receipt under the subject and receipt id of c.
//
// The receipt is server-attested: the form was posted before any script
// could hold a device key, so the server's countersignature is all that
// vouches for it, and the envelope says so. It is checked like any
// device's (the format's rules, then the catalogue), chained to the
// subject's newest receipt; when another receipt of the subject lands in
// between, the chain is read again and the receipt rebuilt, for at most
// chainWait, after which the decision is refused with ErrBusy (retryable)
// rather than failing.
//
// A ticket is good once, and the store is what makes it so (receipt ids
// are unique there, whichever node posts): when the ticket's id already
// holds this very decision of this subject, another post of the same page
// that got there first, the receipt stored is the answer and c.Replay is
// set; the caller then hands out no subject credential. A different
// decision under a used id is a new decision, under a fresh id. A subject
// the ticket named (c.FromTicket) that has gained a receipt meanwhile is
// no longer named by it: the decision starts a fresh subject instead of
// joining that chain (receipt.PutOptions.NewSubject, checked by the store).
//
// It returns the receipt's id and the decision's kind as recorded, which
// consentreceipt.ConsistentKind may have changed. With kindFromHead (the
// banner, whose forms only say accept, reject or save), a decision that
// follows one on the subject's chain is stated as withdrawn when it takes
// back a grant, updated otherwise.
func (rc *Recorder) Decision(ctx context.Context, d consent.Decision, c *Credential, kindFromHead bool) (receiptID string, kind consent.Kind, err error) {
	cat, sha, err := rc.prepare(d)
	if err != nil {
		return "", "", err
	}
	if err := receipt.CheckSubject(c.Subject); err != nil {
		return "", "", err
	}
	// One node builds one subject's receipts one at a time, so that its
	// concurrent decisions chain in turn instead of refusing each other;
	// nodes sharing a database are kept apart by the store's chain rule.
	unlock := rc.subjects.lock(c.Subject)
	defer func() { unlock() }()
	wait := backoff{}
	for {
		stored, created, err := rc.attest(ctx, cat, d, sha, *c, kindFromHead)
		switch {
		case errs.Code(err) == errs.Forbidden && c.FromTicket:
			// The ticket's subject has a receipt now: it names nothing.
			unlock()
			*c = Credential{Subject: receipt.NewSubject(), ReceiptID: uuid.NewString()}
			unlock = rc.subjects.lock(c.Subject)
			continue
		case errs.Code(err) == errs.Conflict:
			// The chain moved (another node): read the head again.
			if !wait.sleep(ctx) {
				return "", "", ErrBusy
			}
			continue
		case err != nil:
			return "", "", err
		case !created && Holds(stored, d, c.Subject):
			c.Replay = true
			return stored.ID, consent.Kind(stored.Decision), nil
		case !created:
			// The ticket's id holds another decision: this one is new.
			c.ReceiptID, c.ShownAt = uuid.NewString(), time.Time{}
			continue
		}
		return stored.ID, consent.Kind(stored.Decision), nil
	}
}

// prepare checks a form's decision against its policy version's catalogue
// and finds the hash of the policy text shown, which the receipt names.
func (rc *Recorder) prepare(d consent.Decision) (*consent.Catalogue, string, error) {
	cat, ok := rc.cfg.Catalogue(d.PolicyVersion)
	if !ok {
		return nil, "", errs.New(errs.Unprocessable, "policy_version: unknown policy version %q", d.PolicyVersion)
	}
	if err := cat.CheckDecision(d); err != nil {
		return nil, "", err
	}
	sha, ok := rc.cfg.PolicyHash(d.PolicyVersion, d.Lang)
	if !ok {
		return nil, "", errs.New(errs.Unprocessable, "lang: policy %s has no text in %s", d.PolicyVersion, d.Lang)
	}
	return cat, sha, nil
}

// attest builds, checks, countersigns and stores one server-attested
// receipt chained to the subject's head as it is now.
func (rc *Recorder) attest(ctx context.Context, cat *consent.Catalogue, d consent.Decision, sha string, c Credential, kindFromHead bool) (stored receipt.Record, created bool, err error) {
	head, err := rc.head(ctx, c.Subject)
	if err != nil {
		return receipt.Record{}, false, err
	}
	previous := head.decision(d.Surface)
	if kindFromHead && previous != nil {
		d.Kind = laterKind(*previous, d)
	}
	d.Kind = consentreceipt.ConsistentKind(d, previous)
	params, err := consentreceipt.Params(d, consentreceipt.Meta{
		ReceiptID:    c.ReceiptID,
		PolicySHA256: sha,
		Notice:       notice.For(cat, d.Surface, d.Lang),
		Previous:     previous,
	}, c.Subject, head.Hash)
	if err != nil {
		return receipt.Record{}, false, err
	}
	r := receipt.New(params)
	env, err := receipt.Attest(r)
	if err != nil {
		return receipt.Record{}, false, err
	}
	// The same rules as for a device's receipt: what the server vouches for
	// must be what a device could have signed, and what the catalogue says.
	if err := rc.cfg.Validator.ValidateAttested(env, head.Hash); err != nil {
		return receipt.Record{}, false, err
	}
	canon, err := env.Canonical()
	if err != nil {
		return receipt.Record{}, false, err
	}
	rec, err := rc.countersigned(cat, r, canon, head.content())
	if err != nil {
		return receipt.Record{}, false, err
	}
	rec.ShownAt = c.ShownAt
	return rc.cfg.Store.Put(ctx, rec, receipt.PutOptions{NewSubject: c.FromTicket})
}

// laterKind is the kind of a banner decision that follows prev on the
// subject's chain: withdrawn when it takes back a grant, updated otherwise.
func laterKind(prev, next consent.Decision) consent.Kind {
	if len(consent.Revoked(prev, next)) > 0 {
		return consent.KindWithdrawn
	}
	return consent.KindUpdated
}

// Order is what a device needs to sign the receipt of d itself, under the
// subject and receipt id of c: the receipt as the server would build it
// (its kind true to the subject's head, the policy hash of the language
// shown, the shown notice), chained to the subject's head as it is now,
// and the ticket that lets the device's key join the subject. The device
// signs it as it is (consentreceipt.Order, docs/outbox.md), and its
// receipt comes back through Device.
func (rc *Recorder) Order(ctx context.Context, d consent.Decision, c Credential) (*consentreceipt.Order, consent.Kind, error) {
	cat, sha, err := rc.prepare(d)
	if err != nil {
		return nil, "", err
	}
	head, err := rc.head(ctx, c.Subject)
	if err != nil {
		return nil, "", err
	}
	previous := head.decision(d.Surface)
	d.Kind = consentreceipt.ConsistentKind(d, previous)
	o, err := consentreceipt.NewOrder(d, consentreceipt.Meta{
		ReceiptID:    c.ReceiptID,
		PolicySHA256: sha,
		Notice:       notice.For(cat, d.Surface, d.Lang),
		Previous:     previous,
		Ticket:       c.Ticket,
	}, c.Subject, head.Hash)
	return o, d.Kind, err
}

// Holds tells whether rec is the receipt of decision d for one of subjects:
// the same surface and policy version, and each purpose in effect exactly
// when d grants it. A decision posted again with the same page (a resend
// whose acknowledgement was lost, a form sent twice) is answered with rec
// instead of being stored twice; this is the one test of "already stored",
// whether a page's post asks before it records (Stored) or the store tells
// as it records (Decision).
func Holds(rec receipt.Record, d consent.Decision, subjects ...string) bool {
	if !slices.Contains(subjects, rec.Subject) {
		return false
	}
	if rec.Surface != string(d.Surface) || rec.PolicyVersion != d.PolicyVersion {
		return false
	}
	for _, c := range d.Choices {
		if receipt.InEffect(rec.States[string(c.Purpose)]) != c.Granted {
			return false
		}
	}
	return true
}

// Stored finds the receipt stored under id when it Holds decision d for
// one of subjects: ok false when id holds nothing, or something else.
func (rc *Recorder) Stored(ctx context.Context, id string, d consent.Decision, subjects ...string) (rec receipt.Record, ok bool, err error) {
	rec, err = rc.cfg.Store.Get(ctx, id)
	switch errs.Code(err) {
	case "":
	case errs.NotFound:
		return receipt.Record{}, false, nil
	default:
		return receipt.Record{}, false, err
	}
	if !Holds(rec, d, subjects...) {
		return receipt.Record{}, false, nil
	}
	return rec, true, nil
}

// Used tells whether a receipt is stored under id, whatever it records: a
// ticket whose id is used is spent, and the page that holds it gets a
// fresh id.
func (rc *Recorder) Used(ctx context.Context, id string) (bool, error) {
	switch _, err := rc.cfg.Store.Get(ctx, id); errs.Code(err) {
	case "":
		return true, nil
	case errs.NotFound:
		return false, nil
	default:
		return false, err
	}
}

// chainWait bounds how long a decision waits for its subject's chain to stop
// moving before it is answered with ErrBusy.
const chainWait = 2 * time.Second

// backoff spaces the attempts on a moving chain: doubling from a
// millisecond, jittered, so that competing nodes do not retry in step.
type backoff struct {
	next, spent time.Duration
}

// sleep waits before the next attempt; false when chainWait is spent or
// the request is gone.
func (b *backoff) sleep(ctx context.Context) bool {
	if b.next == 0 {
		b.next = time.Millisecond
	}
	d := b.next/2 + rand.N(b.next/2+1)
	if b.spent+d > chainWait {
		return false
	}
	b.spent += d
	b.next = min(2*b.next, 100*time.Millisecond)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// subjectHead is what a subject's newest receipt tells: its hash, which the
// next receipt chains to, and the states it recorded; the zero value for a
// subject with no receipt.
type subjectHead struct {
	Hash    string
	Surface string
	States  map[string]string
}

// head reads the subject's newest receipt, without its body.
func (rc *Recorder) head(ctx context.Context, subject string) (subjectHead, error) {
	rec, err := rc.cfg.Store.Tip(ctx, subject)
	switch {
	case errs.Code(err) == errs.NotFound:
		return subjectHead{}, nil
	case err != nil:
		return subjectHead{}, err
	}
	return subjectHead{Hash: rec.Hash, Surface: rec.Surface, States: rec.States}, nil
}

// content is the head as the catalogue check reads it; nil for none.
func (h subjectHead) content() *consentreceipt.Head {
	if h.Hash == "" {
		return nil
	}
	return &consentreceipt.Head{Surface: h.Surface, States: h.States}
}

// decision is the head as the decision it recorded, as far as a receipt
// tells it, when it was taken in the same audience as surface: which
// purposes were given. That is all consentreceipt.Params needs to tell a
// withdrawal (given before, refused now) from a refusal.
func (h subjectHead) decision(surface consent.Surface) *consent.Decision {
	if h.Hash == "" || !consentreceipt.SameAudience(consent.Surface(h.Surface), surface) {
		return nil
	}
	d := &consent.Decision{Surface: consent.Surface(h.Surface)}
	ids := make([]string, 0, len(h.States))
	for id := range h.States {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		d.Choices = append(d.Choices, consent.Choice{Purpose: consent.PurposeID(id), Granted: receipt.InEffect(h.States[id])})
	}
	return d
}

// keyedMutex holds one lock per key, kept only while someone holds or
// waits for it.
type keyedMutex struct {
	mu   sync.Mutex
	held map[string]*keyedEntry
}

type keyedEntry struct {
	sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) (unlock func()) {
	k.mu.Lock()
	e := k.held[key]
	if e == nil {
		e = &keyedEntry{}
		k.held[key] = e
	}
	e.refs++
	k.mu.Unlock()
	e.Lock()
	return func() {
		e.Unlock()
		k.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(k.held, key)
		}
		k.mu.Unlock()
	}
}

// DecidedAt is when the person chose, as the page reports it (Unix
// milliseconds, the form field "at"), for a choice queued while offline
// and posted later. The client's clock is not trusted beyond the window
// the server knows to be true: after the page was shown (the ticket's
// mint time; zero when unknown) and not after the post (now, the
// decision's own time). Without a readable time, the choice is dated now.
func DecidedAt(field string, shown, now time.Time) time.Time {
	ms, err := strconv.ParseInt(field, 10, 64)
	if err != nil {
		return now
	}
	at := time.UnixMilli(ms).UTC()
	switch {
	case at.Before(shown):
		return shown
	case at.After(now):
		return now
	}
	return at
}
