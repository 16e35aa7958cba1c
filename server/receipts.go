package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/httperr"
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
		Recorder:    s.recorder,
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

// handleReceiptsDownload gives this browser its receipts: the whole chain of
// its subject, in the form kaiconn-verify -chain checks. The subject comes
// from the kc_sub cookie (HttpOnly, signed by this server, set with the
// browser's first decision) and from nothing else: a receipt id is no
// credential, since it is shown in many places. A device's own outbox
// offers its chain too, including receipts not yet sent.
func (s *Server) handleReceiptsDownload(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	subject := s.cookieSubjectAny(r)
	if ret := s.retention(); ret != nil && subject != "" {
		if st, err := ret.State(ctx, subject); err == nil && st.Ending != nil {
			writeErased(w, st.Ending)
			return
		}
	}
	var recs []receipt.Record
	if subject != "" {
		var err error
		if recs, err = s.store.Subject(ctx, subject); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if len(recs) == 0 {
		writeJSON(w, http.StatusNotFound, httperr.BodyOf(errs.New(errs.NotFound, "no receipt of this browser's decisions is stored yet")))
		return
	}
	h := receipt.History{Subject: subject, Receipts: make([]receipt.Countersigned, 0, len(recs))}
	for _, rec := range recs {
		h.Receipts = append(h.Receipts, receipt.FromRecord(rec))
	}
	w.Header().Set("Content-Disposition", `attachment; filename="kaiconn-receipts.json"`)
	writeJSON(w, http.StatusOK, h)
}
