package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/errs"
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
	}, s.store, s.keys, s.validator, s.log)
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
// stored, countersigned receipt and returns its id. subject is the pseudonymous
// subject id ("" mints a new one via receipt.NewSubject()).
//
// The receipt is server-attested: the form was posted before any script
// could hold a device key, so the server's countersignature is all that
// vouches for it, and the envelope says so. It is chained to the subject's
// newest receipt; when another receipt of the subject lands in between, the
// chain is read again and the receipt rebuilt once.
func (s *Server) recordDecision(ctx context.Context, d consent.Decision, subject string) (receiptID, subjectOut string, err error) {
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
	if subject == "" {
		subject = receipt.NewSubject()
	} else if err := receipt.CheckSubject(subject); err != nil {
		return "", "", err
	}
	for attempt := 0; ; attempt++ {
		id, err := s.recordOnce(ctx, cat, d, sha, subject)
		if errs.Code(err) == errs.Conflict && attempt == 0 {
			continue
		}
		if err != nil {
			return "", "", err
		}
		return id, subject, nil
	}
}

// recordOnce builds, checks, countersigns and stores one server-attested
// receipt chained to the subject's head as it is now.
func (s *Server) recordOnce(ctx context.Context, cat *consent.Catalogue, d consent.Decision, sha, subject string) (string, error) {
	head, previous, err := s.head(ctx, subject, d.Surface)
	if err != nil {
		return "", err
	}
	params, err := consentreceipt.Params(d, consentreceipt.Meta{
		// A fresh id each attempt: a conflict stored nothing.
		ReceiptID:    uuid.NewString(),
		PolicySHA256: sha,
		Purposes:     consentreceipt.Purposes(cat, d.Surface, d.Lang),
		Previous:     previous,
	}, subject, head)
	if err != nil {
		return "", err
	}
	r := receipt.New(params)
	env, err := receipt.Attest(r)
	if err != nil {
		return "", err
	}
	// The same rules as for a device's receipt: what the server vouches for
	// must be what a device could have signed.
	if err := s.validator.ValidateAttested(env, head); err != nil {
		return "", err
	}
	canon, err := env.Canonical()
	if err != nil {
		return "", err
	}
	jws, kid, err := s.keys.Countersign(canon)
	if err != nil {
		return "", err
	}
	_, _, err = s.store.Put(ctx, receipt.Record{
		ID:            r.ID,
		Subject:       subject,
		PrevHash:      head,
		Hash:          receipt.HashBytes(canon),
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
	}, receipt.PutOptions{})
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// purposeStates is what the store keeps of a receipt's purposes.
func purposeStates(r *receipt.Receipt) map[string]string {
	m := make(map[string]string, len(r.Purposes))
	for _, p := range r.Purposes {
		m[p.ID] = p.State
	}
	return m
}

// head returns the hash of the subject's newest receipt ("" when it has
// none) and, when that receipt was taken in the same audience as surface,
// the decision it recorded, as far as a receipt tells it: which purposes
// were given. That is all consentreceipt.Params needs to tell a withdrawal
// (given before, refused now) from a refusal.
func (s *Server) head(ctx context.Context, subject string, surface consent.Surface) (hash string, previous *consent.Decision, err error) {
	rec, err := s.store.Head(ctx, subject)
	switch {
	case errs.Code(err) == errs.NotFound:
		return "", nil, nil
	case err != nil:
		return "", nil, err
	}
	prev, err := receipt.Decode(rec.Body)
	if err != nil {
		// Stored receipts were validated on the way in; one that no longer
		// decodes still anchors the chain but tells nothing of choices.
		return rec.Hash, nil, nil
	}
	r := prev.Receipt
	if !consentreceipt.SameAudience(consent.Surface(r.Surface), surface) {
		return rec.Hash, nil, nil
	}
	d := &consent.Decision{
		PolicyVersion: r.Policy.Version,
		Surface:       consent.Surface(r.Surface),
		Kind:          consent.Kind(r.Decision),
		Lang:          r.Language,
		At:            r.IssuedTime(),
	}
	for _, p := range r.Purposes {
		d.Choices = append(d.Choices, consent.Choice{Purpose: consent.PurposeID(p.ID), Granted: p.State == receipt.StateGiven})
	}
	return rec.Hash, d, nil
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
// language, and its purposes surface by surface.
type PolicyVersionInfo struct {
	Version   string            `json:"version"`
	Updated   string            `json:"updated"`
	Effective string            `json:"effective"`
	SHA256    map[string]string `json:"sha256"` // by language
	Purposes  []PurposeInfo     `json:"purposes"`
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

// receiptMeta is what a device needs, beyond the decision, to build the
// receipt of d under id: the policy hash of the language shown and the
// purposes as the catalogue describes them.
func (s *Server) receiptMeta(d consent.Decision, id string) (consentreceipt.Meta, error) {
	cat, ok := s.catalogues[d.PolicyVersion]
	if !ok {
		return consentreceipt.Meta{}, errs.New(errs.Unprocessable, "policy_version: unknown policy version %q", d.PolicyVersion)
	}
	sha, ok := s.policyHash(d.PolicyVersion, d.Lang)
	if !ok {
		return consentreceipt.Meta{}, errs.New(errs.Unprocessable, "lang: policy %s has no text in %s", d.PolicyVersion, d.Lang)
	}
	return consentreceipt.Meta{ReceiptID: id, PolicySHA256: sha, Purposes: consentreceipt.Purposes(cat, d.Surface, d.Lang)}, nil
}

// subjectOf is the subject of the receipt with id, "" when the store has no
// such receipt (the id was the device's own, or the store was reset).
func (s *Server) subjectOf(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	rec, err := s.store.Get(ctx, id)
	if err != nil {
		return ""
	}
	return rec.Subject
}
