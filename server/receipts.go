package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/receipt"
)

// ConsentLifetime is how long a given consent lasts before the person is
// asked again: a year, the common practice for consent under PIPL and the
// lifetime of the banner's acceptance cookie. It is the receipts' own
// validity, so that what a receipt says and what the server does agree.
const ConsentLifetime = consentreceipt.Validity

// mountReceipts serves the receipt API (api.New) at /api/v1/... and the
// server's public keys at /.well-known/jwks.json, and beside them the
// policy metadata the browser needs to build receipts.
func (s *Server) mountReceipts(r chi.Router) {
	h := api.New(api.Config{
		AdminToken:     s.cfg.AdminToken,
		AllowedOrigins: s.cfg.AllowedOrigins,
		RateLimit:      s.cfg.RateLimit,
		RateWindow:     s.cfg.RateWindow,
		TrustedProxies: s.cfg.TrustedProxies,
		ServiceToken:   s.cfg.ServiceToken,
	}, api.Deps{
		Store:     s.store,
		Keys:      s.keys,
		Validator: s.validator,
		Catalogue: func(version string) (*consent.Catalogue, bool) {
			c, ok := s.catalogues[version]
			return c, ok
		},
		Credentials: s.creds,
		Logger:      s.log,
		AuditErase:  s.auditErase,
		OnExport:    s.recordExport,
	})
	// The API is a router of its own with full paths; it must not see the
	// outer router's half-consumed routing state.
	fresh := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), chi.RouteCtxKey, nil)))
	})
	r.Handle("/api/v1/*", fresh)
	r.Handle("/.well-known/jwks.json", fresh)
	r.Get("/api/v1/policy", s.policyInfo)
}

// loadCatalogues loads the purpose catalogue of every policy version in the
// library and holds it to its policy (consent.CheckPolicy): a version
// without a catalogue could never be consented to, and one whose catalogue
// says other than its policy would be consented to on false terms, so
// either stops the server from starting.
func loadCatalogues(policies *policy.Library, fsys fs.FS) (map[string]*consent.Catalogue, error) {
	cats := map[string]*consent.Catalogue{}
	for _, v := range policies.Versions() {
		cat, err := consent.LoadCatalogueFor(fsys, v)
		if err != nil {
			return nil, fmt.Errorf("purpose catalogue of policy %s: %w", v.ID, err)
		}
		cats[v.ID] = cat
	}
	return cats, nil
}

// policyHash is the receipt.PolicyHashFunc of the policy library: the hash of
// the exact source text of a version in a language.
func (s *Server) policyHash(version, lang string) (string, bool) {
	v, ok := s.policies.Version(version)
	if !ok {
		return "", false
	}
	d, ok := v.Doc(lang)
	if !ok {
		return "", false
	}
	return d.SHA256, true
}

// purposeKnown is the receipt.PurposeFunc of the catalogues. A receipt
// names its surface, but the format's rule is per version: an id known to
// either audience (app purposes, web cookie categories) is accepted.
func (s *Server) purposeKnown(version, id string) bool {
	cat, ok := s.catalogues[version]
	if !ok {
		return false
	}
	for _, surface := range []consent.Surface{consent.SurfaceFirstLaunch, consent.SurfaceWebBanner} {
		if _, ok := cat.Purpose(surface, consent.PurposeID(id)); ok {
			return true
		}
	}
	return false
}

// recordDecision turns a consent decision made on a server-rendered form into a
// stored, countersigned receipt under the subject and receipt id of c (see
// postCredential).
//
// The receipt is server-attested: the form was posted before any script
// could hold a device key, so the server's countersignature is all that
// vouches for it, and the envelope says so. It is a kaiconn-receipt/2
// receipt checked against the catalogue (consentreceipt.Check) like any
// device's, chained to the subject's newest receipt; when another receipt
// of the subject lands in between, the chain is read again and the receipt
// rebuilt, for at most chainWait, after which the decision is refused with
// errBusy (409, retryable) rather than failing.
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
// consentreceipt.ConsistentKind may have changed.
//
// With kindFromHead (the banner, whose forms only say accept, reject or
// save), a decision that follows one on the subject's chain is stated as
// withdrawn when it takes back a grant, updated otherwise.
func (s *Server) recordDecision(ctx context.Context, d consent.Decision, c *postCredential, kindFromHead bool) (receiptID string, kind consent.Kind, err error) {
	cat, ok := s.catalogues[d.PolicyVersion]
	if !ok {
		return "", "", errs.New(errs.Unprocessable, "policy_version: unknown policy version %q", d.PolicyVersion)
	}
	if err := cat.CheckDecision(d); err != nil {
		return "", "", err
	}
	sha, ok := s.policyHash(d.PolicyVersion, d.Lang)
	if !ok {
		return "", "", errs.New(errs.Unprocessable, "lang: policy %s has no text in %s", d.PolicyVersion, d.Lang)
	}
	if err := receipt.CheckSubject(c.Subject); err != nil {
		return "", "", err
	}
	// One node builds one subject's receipts one at a time, so that its
	// concurrent decisions chain in turn instead of refusing each other;
	// nodes sharing a database are kept apart by the store's chain rule.
	unlock := s.subjects.lock(c.Subject)
	defer func() { unlock() }()
	wait := backoff{}
	for {
		stored, mine, created, err := s.recordOnce(ctx, cat, d, sha, *c, kindFromHead)
		switch {
		case errs.Code(err) == errs.Forbidden && c.FromTicket:
			// The ticket's subject has a receipt now: it names nothing.
			unlock()
			*c = postCredential{Subject: receipt.NewSubject(), ReceiptID: uuid.NewString()}
			unlock = s.subjects.lock(c.Subject)
			continue
		case errs.Code(err) == errs.Conflict:
			// The chain moved (another node): read the head again.
			if !wait.sleep(ctx) {
				return "", "", errBusy
			}
			continue
		case err != nil:
			return "", "", err
		case !created && stored.Subject == c.Subject && sameDecision(stored, d):
			c.Replay = true
			return stored.ID, consent.Kind(stored.Decision), nil
		case !created && stored.Hash != mine:
			// The ticket's id holds another decision: this one is new.
			c.ReceiptID, c.ShownAt = uuid.NewString(), time.Time{}
			continue
		}
		return stored.ID, consent.Kind(stored.Decision), nil
	}
}

// errBusy answers a decision whose subject's chain kept moving for longer
// than chainWait: many decisions of one subject at once, on several nodes.
// It is retryable (409, Retry-After), and nothing was stored.
var errBusy = errs.New(errs.Conflict, "subject: too many decisions at once; please try again")

// chainWait bounds how long a decision waits for its subject's chain to stop
// moving before it is answered with errBusy.
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

// sameDecision tells whether rec records decision d: the same surface and
// policy version, and each purpose in effect exactly when d grants it. A post
// of a page that is already stored under its ticket is answered with rec.
func sameDecision(rec receipt.Record, d consent.Decision) bool {
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

// recordOnce builds, checks, countersigns and stores one server-attested
// receipt chained to the subject's head as it is now.
func (s *Server) recordOnce(ctx context.Context, cat *consent.Catalogue, d consent.Decision, sha string, c postCredential, kindFromHead bool) (stored receipt.Record, hash string, created bool, err error) {
	head, err := s.head(ctx, c.Subject)
	if err != nil {
		return receipt.Record{}, "", false, err
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
		return receipt.Record{}, "", false, err
	}
	r := receipt.New(params)
	env, err := receipt.Attest(r)
	if err != nil {
		return receipt.Record{}, "", false, err
	}
	// The same rules as for a device's receipt: what the server vouches for
	// must be what a device could have signed, and what the catalogue says.
	if err := s.validator.ValidateAttested(env, head.Hash); err != nil {
		return receipt.Record{}, "", false, err
	}
	if err := consentreceipt.Check(cat, r, head.content(), time.Now()); err != nil {
		return receipt.Record{}, "", false, err
	}
	canon, err := env.Canonical()
	if err != nil {
		return receipt.Record{}, "", false, err
	}
	jws, kid, err := s.keys.Countersign(canon)
	if err != nil {
		return receipt.Record{}, "", false, err
	}
	hash = receipt.HashBytes(canon)
	opt := receipt.PutOptions{NewSubject: c.FromTicket}
	stored, created, err = s.store.Put(ctx, receipt.Record{
		ID:            r.ID,
		Subject:       c.Subject,
		PrevHash:      head.Hash,
		Hash:          hash,
		PolicyVersion: d.PolicyVersion,
		Surface:       string(d.Surface),
		IssuedAt:      r.IssuedTime(),
		// Milliseconds, as the API stores them, so every store keeps the
		// time exactly.
		ReceivedAt: time.Now().UTC().Truncate(time.Millisecond),
		Body:       canon,
		Countersig: jws,
		KeyID:      kid,
		Language:   r.Language,
		Decision:   r.Decision,
		Schema:     receipt.SchemaNumber(r.Schema),
		States:     purposeStates(r),
		ShownAt:    c.ShownAt,
	}, opt)
	return stored, hash, created, err
}

// purposeStates is what the store keeps of a receipt's purposes.
func purposeStates(r *receipt.Receipt) map[string]string {
	m := make(map[string]string, len(r.Purposes))
	for _, p := range r.Purposes {
		m[p.ID] = p.State
	}
	return m
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
func (s *Server) head(ctx context.Context, subject string) (subjectHead, error) {
	rec, err := s.store.Tip(ctx, subject)
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

// policyInfo answers GET /api/v1/policy: what a browser or app needs to build
// a receipt the server will accept, derived from the same catalogue and
// texts as the server's own receipts, so both kinds read alike.
func (s *Server) policyInfo(w http.ResponseWriter, r *http.Request) {
	info := PolicyInfo{
		Latest:              s.policies.Latest().ID,
		ConsentLifetimeDays: int(ConsentLifetime / (24 * time.Hour)),
		Withdraw:            PolicyWithdraw{URL: receipt.WithdrawURL, Text: map[string]string{}, RequiredText: map[string]string{}},
	}
	for _, lang := range consent.Languages {
		info.Withdraw.Text[lang] = consentreceipt.WithdrawText(lang)
		info.Withdraw.RequiredText[lang] = consentreceipt.RequiredText(lang)
	}
	for _, v := range s.policies.Versions() {
		pv := PolicyVersionInfo{Version: v.ID, Updated: v.Updated, Effective: v.Effective, SHA256: map[string]string{}}
		for _, lang := range policy.Languages() {
			if sha, ok := s.policyHash(v.ID, lang); ok {
				pv.SHA256[lang] = sha
			}
		}
		cat := s.catalogues[v.ID]
		pv.Notices = map[string]map[string]string{}
		for _, surface := range consent.Surfaces {
			if len(cat.Purposes(surface)) == 0 {
				continue
			}
			pv.Notices[string(surface)] = map[string]string{}
			for _, lang := range consent.Languages {
				pv.Notices[string(surface)][lang] = notice.For(cat, surface, lang)
			}
		}
		for _, surface := range consent.Surfaces {
			// The very mapping the receipts are built with, in every language.
			byLang := map[string]map[consent.PurposeID]consentreceipt.PurposeInfo{}
			for _, lang := range consent.Languages {
				byLang[lang] = consentreceipt.Purposes(cat, surface, lang)
			}
			for _, p := range cat.Purposes(surface) {
				pi := PurposeInfo{
					Surface: string(surface), ID: string(p.ID), Required: p.Required,
					ConsentType: string(p.ConsentType), Hash: p.Hash,
					Recipient: map[string]string{}, DataCategories: map[string][]string{},
				}
				for _, lang := range consent.Languages {
					pi.Recipient[lang] = byLang[lang][p.ID].Recipient
					pi.DataCategories[lang] = byLang[lang][p.ID].DataCategories
				}
				pv.Purposes = append(pv.Purposes, pi)
			}
		}
		info.Versions = append(info.Versions, pv)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(info); err != nil {
		s.log.Warn("policy info: write", "err", err)
	}
}

// PolicyInfo is the answer of GET /api/v1/policy.
type PolicyInfo struct {
	Latest              string              `json:"latest"`
	ConsentLifetimeDays int                 `json:"consentLifetimeDays"`
	Withdraw            PolicyWithdraw      `json:"withdraw"`
	Versions            []PolicyVersionInfo `json:"versions"`
}

// PolicyWithdraw is the withdrawal every purpose of a receipt carries: Text
// for an optional purpose, RequiredText for the required processing, which
// cannot be withdrawn on its own.
type PolicyWithdraw struct {
	URL          string            `json:"url"`
	Text         map[string]string `json:"text"`         // by language
	RequiredText map[string]string `json:"requiredText"` // by language
}

// PolicyVersionInfo is one policy version: the hash of its text in each
// language, the shown notice a kaiconn-receipt/2 receipt names on each
// surface in each language, and its purposes surface by surface.
type PolicyVersionInfo struct {
	Version   string            `json:"version"`
	Updated   string            `json:"updated"`
	Effective string            `json:"effective"`
	SHA256    map[string]string `json:"sha256"` // by language
	// Notices is receipt.notice by surface, then language.
	Notices  map[string]map[string]string `json:"notices"`
	Purposes []PurposeInfo                `json:"purposes"`
}

// PurposeInfo is one purpose as a receipt states it, per language.
type PurposeInfo struct {
	Surface        string              `json:"surface"`
	ID             string              `json:"id"`
	Required       bool                `json:"required"`
	ConsentType    string              `json:"consentType"`
	Recipient      map[string]string   `json:"recipient"`      // by language
	DataCategories map[string][]string `json:"dataCategories"` // by language
	Hash           string              `json:"hash"`           // content hash of the catalogue entry
}

// order is what a device needs to sign the receipt of d itself, under the
// subject and receipt id of c: the receipt as the server would build it
// (its kind true to the subject's head, the policy hash of the language
// shown, the shown notice), chained to the subject's head as it is now,
// and the ticket that lets the device's key join the subject. The device
// signs it as it is (consentreceipt.Order, docs/outbox.md).
func (s *Server) order(ctx context.Context, d consent.Decision, c postCredential) (*consentreceipt.Order, consent.Kind, error) {
	cat, ok := s.catalogues[d.PolicyVersion]
	if !ok {
		return nil, "", errs.New(errs.Unprocessable, "policy_version: unknown policy version %q", d.PolicyVersion)
	}
	if err := cat.CheckDecision(d); err != nil {
		return nil, "", err
	}
	sha, ok := s.policyHash(d.PolicyVersion, d.Lang)
	if !ok {
		return nil, "", errs.New(errs.Unprocessable, "lang: policy %s has no text in %s", d.PolicyVersion, d.Lang)
	}
	head, err := s.head(ctx, c.Subject)
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

// orderJSON is o as the JSON answer to a post carries it (Outcome.Receipt),
// nil for none.
func orderJSON(o *consentreceipt.Order) json.RawMessage {
	if o == nil {
		return nil
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil // an Order is strings and JCS bytes: it always marshals
	}
	return b
}
