package appconsent

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/consentview"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/policy"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
)

// Decision is a decision with the receipt id minted for it, as the cookie
// and a host app's state hold it.
type Decision = consentview.Decision

// Key signs and checks the kc_app_consent cookie. Verify compares in
// constant time and may accept more than one key (a legacy one).
type Key interface {
	Sign(body string) string
	Verify(body, mac string) bool
}

// Deps are what the gate and the settings work with, given by the server
// that mounts them.
type Deps struct {
	Log  *slog.Logger
	Msgs *lang.Bundle
	// Policies are the policy versions and Catalogues their purpose
	// catalogues by version; the latest version is the one asked about.
	Policies   *policy.Library
	Catalogues map[string]*consent.Catalogue
	// AgreementURL is the user agreement the gate links to.
	AgreementURL string
	// Key signs kc_app_consent.
	Key Key
	// HTTPS tells whether the browser used TLS, as the server's trusted
	// proxies tell; Lang is the reader's language (it may remember a
	// language chosen with the switch).
	HTTPS func(r *http.Request) bool
	Lang  func(w http.ResponseWriter, r *http.Request) string
	// Protect wraps a decision post in the server's form guard: the origin
	// check and the rate limits.
	Protect func(h http.HandlerFunc) http.Handler
	// The subject credential (kc_sub) and tickets, as every form of the
	// server uses them: PageTicket mints a page's ticket, TicketFor the
	// next ticket of a subject, CookieSubject reads kc_sub, PostCredential
	// decides the subject and receipt id of a post, ForDevice turns it
	// into one whose receipt the device signs, SetSubject gives the
	// browser its kc_sub, and Resent finds a post's choice already stored
	// under its ticket.
	PageTicket     func(r *http.Request) string
	TicketFor      func(subject string) string
	CookieSubject  func(r *http.Request) string
	PostCredential func(ctx context.Context, r *http.Request) (recorder.Credential, error)
	ForDevice      func(ctx context.Context, c recorder.Credential) (recorder.Credential, error)
	SetSubject     func(w http.ResponseWriter, r *http.Request, subject string)
	Resent         func(r *http.Request, d consent.Decision) (receipt.Record, bool, error)
	// Record records a decision the server attests
	// (recorder.Recorder.Decision), and Order what a device will sign
	// (recorder.Recorder.Order).
	Record func(ctx context.Context, d consent.Decision, c *recorder.Credential, kindFromHead bool) (receiptID string, kind consent.Kind, err error)
	Order  func(ctx context.Context, d consent.Decision, c recorder.Credential) (*consentreceipt.Order, consent.Kind, error)
	// Receipts serves GET /settings/privacy/receipts.json, the browser's
	// own receipts, which are the receipt service's; nil serves none.
	Receipts http.HandlerFunc
	// WantsJSON tells a script's post from a form's; WriteJSON and
	// WriteError answer it as every form post of the server is answered.
	WantsJSON  func(r *http.Request) bool
	WriteJSON  func(w http.ResponseWriter, status int, v any)
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
	// Now is the surface's clock; nil reads the system's.
	Now func() time.Time
}
