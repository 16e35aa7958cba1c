package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kaiconn/consent/api"
	"github.com/kaiconn/consent/appconsent"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// The app bundle (docs/bundle.md) is the app's copy of the gate and the
// other surfaces, served from the app's own assets: a page there reaches
// this server cross-origin, without its cookies, and only when the network
// allows. It asks two things of it, both mounted here: the newest policy
// version, to learn that its own is old, and the order of the receipt its
// device key signs for a decision taken on the gate.

// maxOrderBody bounds a posted order request: a gate form is a few hundred
// bytes, a host state at most a cookie's worth.
const maxOrderBody = 16 << 10

func (s *Server) mountBundle(r chi.Router) {
	r.Get("/api/v1/policy/latest", s.policyLatest)
	r.Head("/api/v1/policy/latest", s.policyLatest)
	r.Get("/api/v1/policy/{version}/catalogues.json", s.policyCatalogues)
	orders := api.CORS(s.cfg.AllowedOrigins)(s.forms.limit(http.HandlerFunc(s.postOrder)))
	r.Method(http.MethodPost, "/api/v1/orders", orders)
	r.Method(http.MethodOptions, "/api/v1/orders", orders)
}

// PolicyLatest is the answer of GET /api/v1/policy/latest: the newest
// policy version this server asks about, and when it was updated and takes
// effect.
type PolicyLatest struct {
	Version   string `json:"version"`
	Updated   string `json:"updated"`
	Effective string `json:"effective"`
	// Catalogues is the path of the version's texts as the wasm renders
	// them (policyCatalogues), SHA256 the lowercase hex SHA-256 of those
	// bytes, and Notices the reference of the gate's shown notice in each
	// language (notice.For). An app bundle built for an older version
	// fetches the texts, shows and keeps them for offline use only when
	// their hash is SHA256, and has its device sign a receipt of that gate
	// only when it names the notice given here (docs/bundle.md, "A newer
	// policy").
	Catalogues string            `json:"catalogues"`
	SHA256     string            `json:"sha256"`
	Notices    map[string]string `json:"notices"`
	// SettingsNotices is the same for the privacy settings, whose
	// receipts name their own notice: the bundle's settings show the newer
	// version too, and sign a change under it only when its receipt names
	// this one.
	SettingsNotices map[string]string `json:"settingsNotices"`
}

// policyLatest answers GET /api/v1/policy/latest. It is public and the
// same for everybody, so any origin may read it (no credentials), and
// caches may keep it for five minutes and revalidate it by its ETag: an
// app bundle asks at every start.
func (s *Server) policyLatest(w http.ResponseWriter, r *http.Request) {
	v := s.policies.Latest()
	latest := PolicyLatest{Version: v.ID, Updated: v.Updated, Effective: v.Effective, Notices: map[string]string{}, SettingsNotices: map[string]string{}}
	if cat, ok := s.catalogues[v.ID]; ok {
		texts, err := s.cataloguesJSON(v.ID)
		if err != nil {
			http.Error(w, "policy", http.StatusInternalServerError)
			return
		}
		sum := sha256.Sum256(texts)
		latest.Catalogues = "/api/v1/policy/" + v.ID + "/catalogues.json"
		latest.SHA256 = hex.EncodeToString(sum[:])
		for _, l := range lang.All {
			latest.Notices[l] = notice.For(cat, consent.SurfaceFirstLaunch, l)
			latest.SettingsNotices[l] = notice.For(cat, consent.SurfaceSettings, l)
		}
	}
	body, err := json.Marshal(latest)
	if err != nil {
		http.Error(w, "policy", http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && match == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// policyCatalogues answers GET /api/v1/policy/{version}/catalogues.json:
// the catalogues the gate of that version is rendered from, resolved as the
// wasm reads them (consentview.Catalogues; every version up to it, which a
// re-ask compares with). What a version says never changes once it is
// published (the notice registry only grows), so the answer is public,
// the same for every origin, and cached for good.
func (s *Server) policyCatalogues(w http.ResponseWriter, r *http.Request) {
	version := chi.URLParam(r, "version")
	if _, ok := s.catalogues[version]; !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{"code": "not_found", "message": "no policy version " + version}})
		return
	}
	body, err := s.cataloguesJSON(version)
	if err != nil {
		http.Error(w, "catalogues", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.Write(body)
}

// cataloguesJSON is the body of policyCatalogues for a version the server
// has: the same bytes every time (consentview.Catalogues writes its
// versions in order), so that policy/latest can name their hash.
func (s *Server) cataloguesJSON(version string) ([]byte, error) {
	cats := &consentview.Catalogues{ByVersion: map[string]*consent.Catalogue{}, Latest: s.catalogues[version]}
	for v, c := range s.catalogues {
		if v <= version {
			cats.ByVersion[v] = c
		}
	}
	return json.Marshal(cats)
}

// postOrder answers POST /api/v1/orders: the unsigned receipt
// (consentreceipt.Order) of a decision taken on the app bundle's gate, for
// the device outbox to sign and send to POST /api/v1/receipts.
//
// The fields are the gate form's (action, purpose, adult, lang, mode,
// state, at) and three that a page of this server never sends, because its
// ticket carries them: policyVersion, the version the bundle showed (the
// decision is built under it, never under a newer one the person did not
// see); receipt, the id the bundle made at the tap and already handed to
// the host; and subject, the device's own. With surface=settings the
// fields are the settings form's (action "save" or "withdraw-all",
// purpose, lang, state, at) and the decision is the settings' change
// (consentview.Catalogues.ChangeSettings), updated or withdrawn.
//
// Naming the id and the subject grants nothing here. The answer reads no
// store and is the same whoever asks: it starts no chain (prevHash is
// empty) and looks at no subject's head, so it tells nothing of any
// subject. What may be appended where is decided when the signed receipt
// is posted, by the API's rules (a new subject's first key, or a key
// enrolled for it; the one chain answer otherwise): the outbox rechains a
// receipt that follows others on the device, or rebuilds it on the head
// the API then shows its enrolled key. docs/threat-model.md, "The app
// bundle".
func (s *Server) postOrder(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" && o != s.selfOrigin(r) && !slices.Contains(s.cfg.AllowedOrigins, o) {
		s.failOrder(w, http.StatusForbidden, errs.New(errs.Forbidden, "origin not allowed"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxOrderBody)
	if err := r.ParseForm(); err != nil {
		s.failOrder(w, http.StatusBadRequest, errs.New(errs.Invalid, "form: not a form of at most %d bytes", maxOrderBody))
		return
	}
	f := r.PostForm
	now := time.Now()
	cat, ok := s.catalogues[f.Get("policyVersion")]
	if !ok {
		s.failOrder(w, http.StatusUnprocessableEntity, errs.New(errs.Unprocessable, "policyVersion: unknown policy version %q", f.Get("policyVersion")))
		return
	}
	id, subject := f.Get("receipt"), f.Get("subject")
	if !consentview.ValidReceiptID(id) {
		s.failOrder(w, http.StatusBadRequest, errs.New(errs.Invalid, "receipt: must be a lowercase UUID"))
		return
	}
	if err := receipt.CheckSubject(subject); err != nil {
		s.failOrder(w, http.StatusBadRequest, errs.New(errs.Invalid, "subject: %s", errs.Message(err)))
		return
	}
	l, ok := lang.Normalize(f.Get("lang"))
	if !ok {
		s.failOrder(w, http.StatusBadRequest, errs.New(errs.Invalid, "lang: %q is none of the product's languages", f.Get("lang")))
		return
	}
	// The tap's time, as gate.js posts it: not after now, and never moved
	// forward to fit the receipt service's window (that would date the
	// decision later than it was made): too old is refused.
	at := decidedAt(f.Get("at"), time.Time{}, now)
	if at.Before(now.Add(-receipt.DefaultMaxAge)) {
		s.failOrder(w, http.StatusUnprocessableEntity, errs.New(errs.Unprocessable, "at: older than %d days, which the receipt service no longer accepts", int(receipt.DefaultMaxAge/(24*time.Hour))))
		return
	}
	// The gate's own rules, under the version the bundle showed.
	g := s.app.Under(cat)
	var history []appconsent.Decision
	if st := f.Get("state"); st != "" {
		if d, err := g.ParseHostState(st, now); err == nil {
			history = []appconsent.Decision{*d}
		}
	}
	var d consent.Decision
	if f.Get("surface") == string(consent.SurfaceSettings) {
		// A change on the bundle's privacy settings: the settings' own
		// rule (updated or withdrawn), from the host's state the page
		// showed, as the server's settings post and the page's wasm
		// decide it.
		var on []consent.PurposeID
		for _, id := range f["purpose"] {
			on = append(on, consent.PurposeID(id))
		}
		var changed bool
		var err error
		d, changed, err = g.Views().ChangeSettings(history, f.Get("action"), on, l, at)
		if err != nil {
			s.failOrder(w, http.StatusUnprocessableEntity, errs.New(errs.Unprocessable, "settings_error_purpose: %s", errs.Message(err)))
			return
		}
		if !changed {
			s.failOrder(w, http.StatusUnprocessableEntity, errs.New(errs.Unprocessable, "settings_unchanged: the switches are those of the state"))
			return
		}
	} else {
		var failure string
		d, failure = g.GateDecision(f, history, l, at)
		if failure != "" {
			s.failOrder(w, http.StatusUnprocessableEntity, errs.New(errs.Unprocessable, "%s", failure))
			return
		}
	}
	if err := cat.CheckDecision(d); err != nil {
		s.failOrder(w, http.StatusUnprocessableEntity, err)
		return
	}
	// The order is stated against the decision the page showed and
	// decided from, the host's state: the device's bridge message was
	// decided from it by the same rule, so a change that only turns
	// purposes off is withdrawn in both, and what it turns off is
	// withdrawn, not refused. The order shows no head (prevHash empty):
	// the device outbox moves it onto its chain (after the receipt still
	// waiting there, onto the head the server shows its key, or as the
	// start of a chain it holds nothing of), and there the chain decides
	// (consentreceipt.Check's rules, outbox.js rechain): where the chain
	// holds the host's state, as when this device made it, nothing
	// changes but prevHash; where it does not, a withdrawal that keeps
	// what no previous receipt gave is stated as the update it is.
	var previous *consent.Decision
	if len(history) > 0 && consentreceipt.SameAudience(history[0].Surface, d.Surface) {
		previous = &history[0].Decision
	}
	d.Kind = consentreceipt.ConsistentKind(d, previous)
	sha, ok := s.policyHash(cat.Version(), l)
	if !ok {
		s.failOrder(w, http.StatusUnprocessableEntity, errs.New(errs.Unprocessable, "lang: policy %s has no text in %s", cat.Version(), l))
		return
	}
	o, err := consentreceipt.NewOrder(d, consentreceipt.Meta{
		ReceiptID:    id,
		PolicySHA256: sha,
		Notice:       notice.For(cat, d.Surface, l),
		Previous:     previous,
	}, subject, "")
	if err != nil {
		s.failOrder(w, http.StatusUnprocessableEntity, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// failOrder answers a refused order request with the API's error shape.
func (s *Server) failOrder(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": errs.Code(err), "message": errs.Message(err)}})
}
