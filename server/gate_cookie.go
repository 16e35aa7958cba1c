package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
)

// appConsentCookie remembers the app's consent decisions in a browser that
// has no host app (a plain browser, a test). It is strictly necessary: it
// holds the decision itself, so that the person is not asked again, and
// nothing else. Its value is base64url(JSON of appConsentRecord), a dot and
// the HMAC-SHA256 of that text under its cookie key (cookieKeys): the cookie
// names receipts, and only the server may say which ones are this
// browser's (it unlocks "download my receipts").
const appConsentCookie = credential.AppConsentCookie

// historyLen is how many decisions the cookie keeps, newest first: enough
// for the settings page to show a person how their choices changed, small
// enough to stay far below the 4 KB a browser keeps per cookie.
const historyLen = 5

// maxCookieLen bounds what we are willing to decode at all.
const maxCookieLen = 3500

// appConsentRecord is the cookie's content.
type appConsentRecord struct {
	V int           `json:"v"` // format version, 1
	H []recordEntry `json:"h"` // decisions, newest first
}

// recordEntry is one decision in the cookie. Only the optional purposes
// granted are listed; everything else of that policy version was refused,
// and the required processing is always granted.
type recordEntry struct {
	Kind    consent.Kind    `json:"k"`
	Version string          `json:"p"`
	Surface consent.Surface `json:"s"`
	Lang    string          `json:"l"`
	At      int64           `json:"t"` // Unix milliseconds
	Granted []string        `json:"g"`
	Receipt string          `json:"r"`
}

// appDecision is a decision with the receipt id minted for it.
type appDecision = consentview.Decision

// decodeRecord parses a cookie value strictly. Anything that is not exactly
// a record we would have written, under a catalogue this server knows,
// fails: a garbled or forged cookie counts as no decision at all, so the
// person is asked rather than assumed to have agreed.
func (g *appConsent) decodeRecord(value string, now time.Time) ([]appDecision, error) {
	if len(value) == 0 || len(value) > maxCookieLen {
		return nil, errs.New(errs.Invalid, "%s: empty or too long", appConsentCookie)
	}
	body, mac, ok := strings.Cut(value, ".")
	if !ok || !g.key.verify(body, mac) {
		return nil, errs.New(errs.Invalid, "%s: not signed by this server", appConsentCookie)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, errs.New(errs.Invalid, "%s: not base64url", appConsentCookie)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var rec appConsentRecord
	if err := dec.Decode(&rec); err != nil {
		return nil, errs.New(errs.Invalid, "%s: not a consent record", appConsentCookie)
	}
	if dec.More() {
		return nil, errs.New(errs.Invalid, "%s: trailing data", appConsentCookie)
	}
	if rec.V != 1 || len(rec.H) == 0 || len(rec.H) > historyLen {
		return nil, errs.New(errs.Invalid, "%s: unknown format or history length", appConsentCookie)
	}
	out := make([]appDecision, 0, len(rec.H))
	for i, e := range rec.H {
		d, err := g.entryDecision(e, now)
		if err != nil {
			return nil, err
		}
		if i > 0 && d.At.After(out[i-1].At) {
			return nil, errs.New(errs.Invalid, "%s: history out of order", appConsentCookie)
		}
		out = append(out, d)
	}
	return out, nil
}

func (g *appConsent) entryDecision(e recordEntry, now time.Time) (appDecision, error) {
	cat, ok := g.cats[e.Version]
	if !ok {
		return appDecision{}, errs.New(errs.Invalid, "%s: unknown policy version", appConsentCookie)
	}
	if e.Surface != consent.SurfaceFirstLaunch && e.Surface != consent.SurfaceSettings {
		return appDecision{}, errs.New(errs.Invalid, "%s: surface", appConsentCookie)
	}
	if !slices.Contains(consent.Kinds, e.Kind) {
		return appDecision{}, errs.New(errs.Invalid, "%s: kind", appConsentCookie)
	}
	at := time.UnixMilli(e.At).UTC()
	// A little slack for clock skew between server instances; a decision
	// from the future is forged.
	if e.At <= 0 || at.After(now.Add(5*time.Minute)) {
		return appDecision{}, errs.New(errs.Invalid, "%s: time", appConsentCookie)
	}
	if !validReceiptID(e.Receipt) {
		return appDecision{}, errs.New(errs.Invalid, "%s: receipt id", appConsentCookie)
	}
	ids := make([]consent.PurposeID, 0, len(e.Granted))
	for _, id := range e.Granted {
		p, ok := cat.Purpose(e.Surface, consent.PurposeID(id))
		if !ok || p.Required || slices.Contains(ids, p.ID) {
			return appDecision{}, errs.New(errs.Invalid, "%s: purposes", appConsentCookie)
		}
		ids = append(ids, p.ID)
	}
	d, err := consent.Agree(cat, e.Surface, ids, e.Lang, at)
	if err != nil {
		return appDecision{}, errs.New(errs.Invalid, "%s: %v", appConsentCookie, err)
	}
	d.Kind = e.Kind
	return appDecision{Decision: d, ReceiptID: e.Receipt}, nil
}

// validReceiptID accepts the canonical lower-case form uuid.NewString
// writes, and nothing looser (consentview.ValidReceiptID).
func validReceiptID(s string) bool { return consentview.ValidReceiptID(s) }

func encodeRecord(key cookieKeys, history []appDecision) string {
	rec := appConsentRecord{V: 1}
	for i, d := range history {
		if i == historyLen {
			break
		}
		e := recordEntry{Kind: d.Kind, Version: d.PolicyVersion, Surface: d.Surface, Lang: d.Lang, At: d.At.UnixMilli(), Granted: []string{}, Receipt: d.ReceiptID}
		for _, c := range d.Choices {
			if c.Granted && !c.Required {
				e.Granted = append(e.Granted, string(c.Purpose))
			}
		}
		rec.H = append(rec.H, e)
	}
	b, _ := json.Marshal(rec)
	body := base64.RawURLEncoding.EncodeToString(b)
	return body + "." + key.mac(body)
}

// history returns the decisions remembered in the request's cookie, newest
// first; none when there is no cookie or it does not parse.
func (g *appConsent) history(r *http.Request, now time.Time) []appDecision {
	c, err := r.Cookie(appConsentCookie)
	if err != nil {
		return nil
	}
	h, err := g.decodeRecord(c.Value, now)
	if err != nil {
		// The cookie's content is the person's choice: log that it was
		// rejected, never what it held.
		g.log.Debug("ignoring consent cookie", "err", errs.Code(err))
		return nil
	}
	return h
}

func (g *appConsent) setHistory(w http.ResponseWriter, r *http.Request, history []appDecision) {
	http.SetCookie(w, &http.Cookie{
		Name:     appConsentCookie,
		Value:    encodeRecord(g.key, history),
		Path:     "/",
		MaxAge:   365 * 24 * 3600,
		HttpOnly: true,
		Secure:   g.secure(r),
		SameSite: http.SameSiteLaxMode,
	})
}
