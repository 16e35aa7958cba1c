package credential

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// SubjectCookie is the name of the cookie that carries a browser's subject.
const SubjectCookie = "kc_sub"

// SubjectCookieMaxAge is how long a browser keeps kc_sub: a year, as long as
// the consent it records lasts.
const SubjectCookieMaxAge = 365 * 24 * time.Hour

// TicketLifetime is how long a ticket can be used after it was minted: the
// window in which a receipt's issuedAt is accepted, so a page left open (or a
// receipt queued offline) for as long as a receipt may wait is still good.
const TicketLifetime = receipt.DefaultMaxAge

// NonceLifetime is how long a proof nonce can be used after it was minted.
const NonceLifetime = 5 * time.Minute

// MaxSkew is how far in the future a mint time may be, for clocks that
// differ between server instances.
const MaxSkew = receipt.DefaultMaxSkew

// ErrExpired is returned (as is, so errors.Is finds it) for a ticket or a
// nonce that the server did mint but that is too old to use. A caller may
// treat an expired ticket as no ticket at all.
var ErrExpired = errs.New(errs.Unprocessable, "credential: expired")

// Keys signs and checks credentials. The zero value is not usable; see
// NewKeys.
type Keys struct {
	subject, ticket, nonce []byte
	// consentCookie and appConsentCookie MAC the consent cookies the
	// server signs (CookieKey).
	consentCookie, appConsentCookie []byte
}

// Names of the consent cookies whose MAC key CookieKey derives: the
// website's decision (kc_consent) and the app's decisions in a browser
// with no host app (kc_app_consent).
const (
	ConsentCookie    = "kc_consent"
	AppConsentCookie = "kc_app_consent"
)

// CookieKey is the key that MACs the server's cookie named name
// (ConsentCookie or AppConsentCookie), derived from the secret like every
// credential's key, so that a value made for one cookie never verifies as
// another's or as a credential; nil for a name it does not know.
func (k *Keys) CookieKey(name string) []byte {
	switch name {
	case ConsentCookie:
		return k.consentCookie
	case AppConsentCookie:
		return k.appConsentCookie
	}
	return nil
}

// NewKeys derives one key per kind of credential from secret (at least 32
// bytes, the server's cookie key), so that a mac made for one kind never
// verifies as another's.
func NewKeys(secret []byte) (*Keys, error) {
	if len(secret) < 32 {
		return nil, errs.New(errs.Invalid, "credential: the secret is %d bytes, want at least 32", len(secret))
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("kaiconn credential " + label))
		return m.Sum(nil)
	}
	return &Keys{subject: derive("kc_sub v1"), ticket: derive("ticket t1"), nonce: derive("nonce n1"),
		consentCookie: derive("cookie " + ConsentCookie), appConsentCookie: derive("cookie " + AppConsentCookie)}, nil
}

var b64 = base64.RawURLEncoding

func mac(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return b64.EncodeToString(m.Sum(nil))
}

// macOK compares in constant time, so a mac cannot be guessed byte by byte
// from response timings.
func macOK(key []byte, body, got string) bool {
	return hmac.Equal([]byte(got), []byte(mac(key, body)))
}

var (
	macRE    = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	msRE     = regexp.MustCompile(`^[1-9][0-9]{0,14}$`)
	secRE    = regexp.MustCompile(`^[1-9][0-9]{0,11}$`)
	randomRE = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
)

// maxLen bounds what the parsers look at: every credential is well under it.
const maxLen = 256

// split checks value's length, prefix and number of parts before anything
// else is looked at.
func split(what, value, prefix string, n int) ([]string, error) {
	if len(value) > maxLen {
		return nil, errs.New(errs.Invalid, "%s: too long", what)
	}
	parts := strings.Split(value, ".")
	if len(parts) != n {
		return nil, errs.New(errs.Invalid, "%s: want %d dot-separated parts, have %d", what, n, len(parts))
	}
	if parts[0] != prefix {
		return nil, errs.New(errs.Invalid, "%s: unknown format %q", what, parts[0])
	}
	if !macRE.MatchString(parts[n-1]) {
		return nil, errs.New(errs.Invalid, "%s: malformed mac", what)
	}
	return parts, nil
}

func body(value string, parts []string) string {
	return value[:len(value)-len(parts[len(parts)-1])-1]
}

// SubjectValue returns the kc_sub value of subject:
//
//	v1.<subject>.<mac>
//
// the mac being the unpadded base64url HMAC-SHA256 of "v1.<subject>".
// Subject ids hold no dot, so the value needs no escaping.
func (k *Keys) SubjectValue(subject string) string {
	b := "v1." + subject
	return b + "." + mac(k.subject, b)
}

// ParseSubject reads a kc_sub value strictly and returns its subject. Any
// deviation, or a mac this server did not make, is errs.Invalid: the browser
// is then treated as one that has no subject yet.
func (k *Keys) ParseSubject(value string) (string, error) {
	parts, err := split(SubjectCookie, value, "v1", 3)
	if err != nil {
		return "", err
	}
	if receipt.CheckSubject(parts[1]) != nil {
		return "", errs.New(errs.Invalid, "%s: malformed subject", SubjectCookie)
	}
	if !macOK(k.subject, body(value, parts), parts[2]) {
		return "", errs.New(errs.Invalid, "%s: mac does not match; the value was altered or signed by another key", SubjectCookie)
	}
	return parts[1], nil
}

// Ticket is a receipt id the server minted for a subject at a time. The
// page it is rendered into posts it back with the decision, and the
// decision's receipt is stored under that id: the id is never the
// client's choice, and since receipt ids are unique, a ticket is used at
// most once.
type Ticket struct {
	ReceiptID string
	Subject   string
	MintedAt  time.Time // millisecond precision; when the page was shown
}

// MintTicket returns a fresh ticket for subject at now.
func MintTicket(subject string, now time.Time) Ticket {
	return Ticket{ReceiptID: uuid.NewString(), Subject: subject, MintedAt: now.UTC().Truncate(time.Millisecond)}
}

// NamesSubject is the one rule of what a ticket's subject counts for: it
// names its subject only while that subject has no receipt (a page rendered
// before the person decided, or before the browser had its kc_sub), or for
// a request whose own subject credential (kc_sub, browserSubject) names
// that very subject. A ticket is rendered into pages and handed to the
// banner's sites, so for a subject that has decided it is no credential on
// its own: otherwise whoever read a page would join that person's chain.
func (t Ticket) NamesSubject(subjectHasReceipt bool, browserSubject string) bool {
	return !subjectHasReceipt || (browserSubject != "" && browserSubject == t.Subject)
}

// Expires is when t can no longer be used.
func (t Ticket) Expires() time.Time { return t.MintedAt.Add(TicketLifetime) }

// TicketValue returns t as text:
//
//	t1.<receipt id>.<subject>.<minted, Unix milliseconds>.<mac>
func (k *Keys) TicketValue(t Ticket) string {
	b := strings.Join([]string{"t1", t.ReceiptID, t.Subject, strconv.FormatInt(t.MintedAt.UnixMilli(), 10)}, ".")
	return b + "." + mac(k.ticket, b)
}

// PeekTicket reads the fields of a ticket without checking its mac: for
// the browser, which has no key and only needs to know which receipt id and
// subject the server named. The server uses ParseTicket.
func PeekTicket(value string) (Ticket, error) {
	parts, err := split("ticket", value, "t1", 5)
	if err != nil {
		return Ticket{}, err
	}
	if u, err := uuid.Parse(parts[1]); err != nil || u.String() != parts[1] || u.Version() != 4 {
		return Ticket{}, errs.New(errs.Invalid, "ticket: malformed receipt id")
	}
	if receipt.CheckSubject(parts[2]) != nil {
		return Ticket{}, errs.New(errs.Invalid, "ticket: malformed subject")
	}
	if !msRE.MatchString(parts[3]) {
		return Ticket{}, errs.New(errs.Invalid, "ticket: malformed time")
	}
	ms, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil {
		return Ticket{}, errs.New(errs.Invalid, "ticket: malformed time")
	}
	return Ticket{ReceiptID: parts[1], Subject: parts[2], MintedAt: time.UnixMilli(ms).UTC()}, nil
}

// ParseTicket reads a ticket strictly and checks that this server minted it
// (errs.Invalid otherwise), not in the future, and no longer ago than
// TicketLifetime (ErrExpired otherwise).
func (k *Keys) ParseTicket(value string, now time.Time) (Ticket, error) {
	t, err := PeekTicket(value)
	if err != nil {
		return Ticket{}, err
	}
	parts := strings.Split(value, ".")
	if !macOK(k.ticket, body(value, parts), parts[4]) {
		return Ticket{}, errs.New(errs.Invalid, "ticket: mac does not match; not minted by this server")
	}
	if t.MintedAt.After(now.Add(MaxSkew)) {
		return Ticket{}, errs.New(errs.Invalid, "ticket: minted in the future")
	}
	if !now.Before(t.Expires()) {
		return Ticket{}, ErrExpired
	}
	return t, nil
}

// Nonce is a value a history proof signs so that the proof is good once:
// the server mints it, and the store records its use (receipt.Store.UseNonce).
type Nonce struct {
	Value     string
	ExpiresAt time.Time // second precision
}

// MintNonce returns a fresh nonce, good for NonceLifetime:
//
//	n1.<16 random bytes, base64url>.<expires, Unix seconds>.<mac>
//
// The mac lets the server accept only nonces it minted without keeping
// those not used yet; the store keeps the used ones until they expire.
func (k *Keys) MintNonce(now time.Time) Nonce {
	var r [16]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails since Go 1.24.
	exp := now.Add(NonceLifetime).Truncate(time.Second).UTC()
	b := "n1." + b64.EncodeToString(r[:]) + "." + strconv.FormatInt(exp.Unix(), 10)
	return Nonce{Value: b + "." + mac(k.nonce, b), ExpiresAt: exp}
}

// ParseNonce checks that this server minted value (errs.Invalid otherwise)
// and that it has not expired (ErrExpired), and returns when it expires.
// Whether it was used before is the store's to say.
func (k *Keys) ParseNonce(value string, now time.Time) (Nonce, error) {
	parts, err := split("nonce", value, "n1", 4)
	if err != nil {
		return Nonce{}, err
	}
	if !randomRE.MatchString(parts[1]) || !secRE.MatchString(parts[2]) {
		return Nonce{}, errs.New(errs.Invalid, "nonce: malformed")
	}
	if !macOK(k.nonce, body(value, parts), parts[3]) {
		return Nonce{}, errs.New(errs.Invalid, "nonce: not minted by this server")
	}
	sec, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		return Nonce{}, errs.New(errs.Invalid, "nonce: malformed")
	}
	exp := time.Unix(sec, 0).UTC()
	if exp.After(now.Add(NonceLifetime + MaxSkew)) {
		return Nonce{}, errs.New(errs.Invalid, "nonce: expires too late to be this server's")
	}
	if !now.Before(exp) {
		return Nonce{}, ErrExpired
	}
	return Nonce{Value: value, ExpiresAt: exp}, nil
}

// IsExpired tells whether err is ErrExpired.
func IsExpired(err error) bool { return errors.Is(err, ErrExpired) }
