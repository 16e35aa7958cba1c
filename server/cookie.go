package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
)

// consentCookieName is the first-party cookie that carries the website
// decision. It is not HttpOnly: embed.js reads it to release held scripts
// without asking the server.
const consentCookieName = credential.ConsentCookie

// consentCookie is the website decision as kc_consent carries it:
//
//	v1.<policy version>.<granted categories>.<unix seconds>.<receipt id>.<mac>
//
// for example
//
//	v1.2022-10.necessary_analytics.1732867200.6f1c…-….<43 base64url chars>
//
// The categories are the granted category ids joined by "_" in catalogue
// order ("_" cannot occur in an id); the required category is always among
// them. The mac is the unpadded base64url HMAC-SHA256, under the server's
// key, of everything before the last dot. Dots, digits, letters, "-" and
// "_" are all cookie-safe, so the value needs no quoting or escaping.
type consentCookie struct {
	PolicyVersion string
	Granted       []consent.PurposeID
	At            time.Time // second precision
	ReceiptID     string
}

var (
	cookieVersionRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	cookieCatsRE    = regexp.MustCompile(`^[a-z][a-z0-9-]*(_[a-z][a-z0-9-]*)*$`)
	cookieTimeRE    = regexp.MustCompile(`^[1-9][0-9]{0,10}$`)
	cookieReceiptRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	cookieMACRE     = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
)

// cookieKeys MAC one cookie of the server's. New values are MAC'd with the
// key derived for that cookie (credential.Keys.CookieKey), as every
// credential's is; values MAC'd with the raw cookie secret, as the server
// wrote them before it derived a key per cookie, are still read (legacy),
// so that nobody is asked again for a decision the cookie holds. Each
// value read is written back under the current key at the next decision,
// and the legacy key can go once the longest-lived cookie has expired
// (ConsentMaxAgeAccept, a year).
type cookieKeys struct {
	current, legacy []byte
}

// newCookieKeys are the keys of the cookie named name.
func (s *Server) newCookieKeys(name string) cookieKeys {
	return cookieKeys{current: s.creds.CookieKey(name), legacy: s.cookieKey}
}

// mac is the MAC of body under the current key.
func (k cookieKeys) mac(body string) string { return cookieMAC(k.current, body) }

// verify tells whether mac is body's under the current key or the legacy
// one, comparing in constant time, so that a mac cannot be guessed byte by
// byte from response timings.
func (k cookieKeys) verify(body, mac string) bool {
	ok := hmac.Equal([]byte(mac), []byte(cookieMAC(k.current, body)))
	if k.legacy != nil && hmac.Equal([]byte(mac), []byte(cookieMAC(k.legacy, body))) {
		ok = true
	}
	return ok
}

// encode returns the cookie value, signed with key.
func (c consentCookie) encode(key cookieKeys) string {
	ids := make([]string, len(c.Granted))
	for i, id := range c.Granted {
		ids[i] = string(id)
	}
	body := strings.Join([]string{"v1", c.PolicyVersion, strings.Join(ids, "_"), strconv.FormatInt(c.At.Unix(), 10), c.ReceiptID}, ".")
	return body + "." + key.mac(body)
}

func cookieMAC(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// parseConsentCookie reads a kc_consent value strictly: any deviation from
// the format, or a mac that key did not make, is an errs.Invalid, and the
// caller treats the visitor as having made no decision. It checks the
// format only; whether the categories exist in the policy version is the
// catalogue's business (see decisionFromCookie).
func parseConsentCookie(value string, key cookieKeys) (consentCookie, error) {
	// A real value is about 130 bytes; refuse to scan anything much longer.
	if len(value) > 512 {
		return consentCookie{}, errs.New(errs.Invalid, "kc_consent: too long")
	}
	parts := strings.Split(value, ".")
	if len(parts) != 6 {
		return consentCookie{}, errs.New(errs.Invalid, "kc_consent: want 6 dot-separated fields, have %d", len(parts))
	}
	if parts[0] != "v1" {
		return consentCookie{}, errs.New(errs.Invalid, "kc_consent: unknown format %q", parts[0])
	}
	checks := []struct {
		field string
		re    *regexp.Regexp
		v     string
	}{
		{"policy version", cookieVersionRE, parts[1]},
		{"categories", cookieCatsRE, parts[2]},
		{"time", cookieTimeRE, parts[3]},
		{"receipt id", cookieReceiptRE, parts[4]},
		{"mac", cookieMACRE, parts[5]},
	}
	for _, c := range checks {
		if !c.re.MatchString(c.v) {
			return consentCookie{}, errs.New(errs.Invalid, "kc_consent: malformed %s", c.field)
		}
	}
	body := value[:len(value)-len(parts[5])-1]
	if !key.verify(body, parts[5]) {
		return consentCookie{}, errs.New(errs.Invalid, "kc_consent: mac does not match; the value was altered or signed by another key")
	}
	unix, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return consentCookie{}, errs.New(errs.Invalid, "kc_consent: malformed time")
	}
	var granted []consent.PurposeID
	for id := range strings.SplitSeq(parts[2], "_") {
		if slices.Contains(granted, consent.PurposeID(id)) {
			return consentCookie{}, errs.New(errs.Invalid, "kc_consent: category %q listed twice", id)
		}
		granted = append(granted, consent.PurposeID(id))
	}
	return consentCookie{PolicyVersion: parts[1], Granted: granted, At: time.Unix(unix, 0).UTC(), ReceiptID: parts[4]}, nil
}

// cookieFromDecision is the cookie of a website decision.
func cookieFromDecision(cat *consent.Catalogue, d consent.Decision, receiptID string) consentCookie {
	c := consentCookie{PolicyVersion: d.PolicyVersion, At: d.At.Truncate(time.Second), ReceiptID: receiptID}
	for _, p := range cat.Purposes(consent.SurfaceWebBanner) {
		if d.Granted(p.ID) {
			c.Granted = append(c.Granted, p.ID)
		}
	}
	return c
}

// decisionFromCookie rebuilds the decision a cookie records, checked
// against the catalogue: a cookie of another policy version, naming a
// category the catalogue does not have, or lacking the required category is
// refused, so that a stale or doctored value never reads as consent.
func decisionFromCookie(cat *consent.Catalogue, c consentCookie, lang string) (consent.Decision, error) {
	if c.PolicyVersion != cat.Version() {
		return consent.Decision{}, errs.New(errs.Unprocessable, "kc_consent: policy version %q is not the current %q", c.PolicyVersion, cat.Version())
	}
	var optional []consent.PurposeID
	required := false
	for _, id := range c.Granted {
		p, ok := cat.Purpose(consent.SurfaceWebBanner, id)
		if !ok {
			return consent.Decision{}, errs.New(errs.Unprocessable, "kc_consent: unknown category %q", string(id))
		}
		if p.Required {
			required = true
			continue
		}
		optional = append(optional, id)
	}
	if !required {
		return consent.Decision{}, errs.New(errs.Unprocessable, "kc_consent: the required category is missing")
	}
	if len(optional) == 0 {
		return consent.Decline(cat, consent.SurfaceWebBanner, lang, c.At)
	}
	return consent.Agree(cat, consent.SurfaceWebBanner, optional, lang, c.At)
}
