package banner

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
)

// CookieName is the first-party cookie that carries the website
// decision. It is not HttpOnly: embed.js reads it to release held scripts
// without asking the server.
const CookieName = credential.ConsentCookie

// Key signs and checks the cookie's values: the server's key for
// kc_consent, which also reads values signed under an older key (see the
// server's cookieKeys). Verify compares in constant time.
type Key interface {
	Sign(body string) string
	Verify(body, mac string) bool
}

// Cookie is the website decision as kc_consent carries it:
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
type Cookie struct {
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

// Encode returns the cookie value, signed with key.
func (c Cookie) Encode(key Key) string {
	ids := make([]string, len(c.Granted))
	for i, id := range c.Granted {
		ids[i] = string(id)
	}
	body := strings.Join([]string{"v1", c.PolicyVersion, strings.Join(ids, "_"), strconv.FormatInt(c.At.Unix(), 10), c.ReceiptID}, ".")
	return body + "." + key.Sign(body)
}

// ParseCookie reads a kc_consent value strictly: any deviation from
// the format, or a mac that key did not make, is an errs.Invalid, and the
// caller treats the visitor as having made no decision. It checks the
// format only; whether the categories exist in the policy version is the
// catalogue's business (see DecisionFromCookie).
func ParseCookie(value string, key Key) (Cookie, error) {
	// A real value is about 130 bytes; refuse to scan anything much longer.
	if len(value) > 512 {
		return Cookie{}, errs.New(errs.Invalid, "kc_consent: too long")
	}
	parts := strings.Split(value, ".")
	if len(parts) != 6 {
		return Cookie{}, errs.New(errs.Invalid, "kc_consent: want 6 dot-separated fields, have %d", len(parts))
	}
	if parts[0] != "v1" {
		return Cookie{}, errs.New(errs.Invalid, "kc_consent: unknown format %q", parts[0])
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
			return Cookie{}, errs.New(errs.Invalid, "kc_consent: malformed %s", c.field)
		}
	}
	body := value[:len(value)-len(parts[5])-1]
	if !key.Verify(body, parts[5]) {
		return Cookie{}, errs.New(errs.Invalid, "kc_consent: mac does not match; the value was altered or signed by another key")
	}
	unix, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return Cookie{}, errs.New(errs.Invalid, "kc_consent: malformed time")
	}
	var granted []consent.PurposeID
	for id := range strings.SplitSeq(parts[2], "_") {
		if slices.Contains(granted, consent.PurposeID(id)) {
			return Cookie{}, errs.New(errs.Invalid, "kc_consent: category %q listed twice", id)
		}
		granted = append(granted, consent.PurposeID(id))
	}
	return Cookie{PolicyVersion: parts[1], Granted: granted, At: time.Unix(unix, 0).UTC(), ReceiptID: parts[4]}, nil
}

// cookieFromDecision is the cookie of a website decision.
func cookieFromDecision(cat *consent.Catalogue, d consent.Decision, receiptID string) Cookie {
	c := Cookie{PolicyVersion: d.PolicyVersion, At: d.At.Truncate(time.Second), ReceiptID: receiptID}
	for _, p := range cat.Purposes(consent.SurfaceWebBanner) {
		if d.Granted(p.ID) {
			c.Granted = append(c.Granted, p.ID)
		}
	}
	return c
}

// DecisionFromCookie rebuilds the decision a cookie records, checked
// against the catalogue: a cookie of another policy version, naming a
// category the catalogue does not have, or lacking the required category is
// refused, so that a stale or doctored value never reads as consent.
func DecisionFromCookie(cat *consent.Catalogue, c Cookie, lang string) (consent.Decision, error) {
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
