package appconsent

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

// CookieName is the cookie that remembers the app's consent decisions in a browser that
// has no host app (a plain browser, a test). It is strictly necessary: it
// holds the decision itself, so that the person is not asked again, and
// nothing else. Its value is base64url(JSON of appConsentRecord), a dot and
// the HMAC-SHA256 of that text under its cookie key (Deps.Key): the cookie
// names receipts, and only the server may say which ones are this
// browser's (it unlocks "download my receipts").
const CookieName = credential.AppConsentCookie

// HistoryLen is how many decisions the cookie keeps, newest first: enough
// for the settings page to show a person how their choices changed, small
// enough to stay far below the 4 KB a browser keeps per cookie.
const HistoryLen = 5

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

// decodeRecord parses a cookie value strictly. Anything that is not exactly
// a record we would have written, under a catalogue this server knows,
// fails: a garbled or forged cookie counts as no decision at all, so the
// person is asked rather than assumed to have agreed.
func (g *App) decodeRecord(value string, now time.Time) ([]Decision, error) {
	if len(value) == 0 || len(value) > maxCookieLen {
		return nil, errs.New(errs.Invalid, "%s: empty or too long", CookieName)
	}
	body, mac, ok := strings.Cut(value, ".")
	if !ok || !g.key.Verify(body, mac) {
		return nil, errs.New(errs.Invalid, "%s: not signed by this server", CookieName)
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return nil, errs.New(errs.Invalid, "%s: not base64url", CookieName)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var rec appConsentRecord
	if err := dec.Decode(&rec); err != nil {
		return nil, errs.New(errs.Invalid, "%s: not a consent record", CookieName)
	}
	if dec.More() {
		return nil, errs.New(errs.Invalid, "%s: trailing data", CookieName)
	}
	if rec.V != 1 || len(rec.H) == 0 || len(rec.H) > HistoryLen {
		return nil, errs.New(errs.Invalid, "%s: unknown format or history length", CookieName)
	}
	out := make([]Decision, 0, len(rec.H))
	for i, e := range rec.H {
		d, err := g.entryDecision(e, now)
		if err != nil {
			return nil, err
		}
		if i > 0 && d.At.After(out[i-1].At) {
			return nil, errs.New(errs.Invalid, "%s: history out of order", CookieName)
		}
		out = append(out, d)
	}
	return out, nil
}

func (g *App) entryDecision(e recordEntry, now time.Time) (Decision, error) {
	cat, ok := g.cats[e.Version]
	if !ok {
		return Decision{}, errs.New(errs.Invalid, "%s: unknown policy version", CookieName)
	}
	if e.Surface != consent.SurfaceFirstLaunch && e.Surface != consent.SurfaceSettings {
		return Decision{}, errs.New(errs.Invalid, "%s: surface", CookieName)
	}
	if !slices.Contains(consent.Kinds, e.Kind) {
		return Decision{}, errs.New(errs.Invalid, "%s: kind", CookieName)
	}
	at := time.UnixMilli(e.At).UTC()
	// A little slack for clock skew between server instances; a decision
	// from the future is forged.
	if e.At <= 0 || at.After(now.Add(5*time.Minute)) {
		return Decision{}, errs.New(errs.Invalid, "%s: time", CookieName)
	}
	if !validReceiptID(e.Receipt) {
		return Decision{}, errs.New(errs.Invalid, "%s: receipt id", CookieName)
	}
	ids := make([]consent.PurposeID, 0, len(e.Granted))
	for _, id := range e.Granted {
		p, ok := cat.Purpose(e.Surface, consent.PurposeID(id))
		if !ok || p.Required || slices.Contains(ids, p.ID) {
			return Decision{}, errs.New(errs.Invalid, "%s: purposes", CookieName)
		}
		ids = append(ids, p.ID)
	}
	d, err := consent.Agree(cat, e.Surface, ids, e.Lang, at)
	if err != nil {
		return Decision{}, errs.New(errs.Invalid, "%s: %v", CookieName, err)
	}
	d.Kind = e.Kind
	return Decision{Decision: d, ReceiptID: e.Receipt}, nil
}

// validReceiptID accepts the canonical lower-case form uuid.NewString
// writes, and nothing looser (consentview.ValidReceiptID).
func validReceiptID(s string) bool { return consentview.ValidReceiptID(s) }

func EncodeCookie(key Key, history []Decision) string {
	rec := appConsentRecord{V: 1}
	for i, d := range history {
		if i == HistoryLen {
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
	return body + "." + key.Sign(body)
}

// history returns the decisions remembered in the request's cookie, newest
// first; none when there is no cookie or it does not parse.
func (g *App) history(r *http.Request, now time.Time) []Decision {
	c, err := r.Cookie(CookieName)
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

func (g *App) setHistory(w http.ResponseWriter, r *http.Request, history []Decision) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    EncodeCookie(g.key, history),
		Path:     "/",
		MaxAge:   365 * 24 * 3600,
		HttpOnly: true,
		Secure:   g.d.HTTPS(r),
		SameSite: http.SameSiteLaxMode,
	})
}
