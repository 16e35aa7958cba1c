package banner

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
)

// Config is what an operator sets of the banner.
type Config struct {
	// CookieDomain is the Domain of kc_consent; empty makes a host-only
	// cookie.
	CookieDomain string
	// MaxAgeAccept and MaxAgeReject are the lifetimes of kc_consent after
	// an acceptance and after a decision that refuses anything; zero means
	// 365 and 182 days.
	MaxAgeAccept time.Duration
	MaxAgeReject time.Duration
	// Origins are the site origins allowed to frame /banner and receive
	// its messages, besides our own.
	Origins []string
}

// Deps are what the banner works with, given by the server that mounts
// it.
type Deps struct {
	// Catalogue is the purpose catalogue of the policy version asked
	// about, the latest.
	Catalogue *consent.Catalogue
	Msgs      *lang.Bundle
	Log       *slog.Logger
	// Key signs kc_consent.
	Key    Key
	Config Config
	// CSP is the server's Content-Security-Policy, which the banner page
	// widens to let Config.Origins frame it.
	CSP string
	// LangCookie is the name of the cookie that remembers a language the
	// reader chose; the banner reads it and never sets it.
	LangCookie string
	// SelfOrigin is the server's own origin and HTTPS whether the browser
	// used TLS, as the server's trusted proxies tell.
	SelfOrigin func(r *http.Request) string
	HTTPS      func(r *http.Request) bool
	// Protect wraps the decision post in the server's form guard: the
	// origin check (which lets Config.Origins post) and the rate limits.
	Protect func(h http.HandlerFunc) http.Handler
	// The subject credential (kc_sub) and tickets, as every form of the
	// server uses them: PageTicket mints a page's ticket, CookieSubject
	// reads kc_sub, PostCredential decides the subject and receipt id of a
	// post, SetSubject gives the browser its kc_sub, Resent finds a post's
	// choice already stored under its ticket, and TicketValue signs a
	// ticket.
	PageTicket     func(r *http.Request) string
	CookieSubject  func(r *http.Request) string
	PostCredential func(ctx context.Context, r *http.Request) (recorder.Credential, error)
	SetSubject     func(w http.ResponseWriter, r *http.Request, subject string)
	Resent         func(r *http.Request, d consent.Decision) (receipt.Record, bool, error)
	TicketValue    func(tk credential.Ticket) string
	// Record records a decision (recorder.Recorder.Decision), and Stored
	// reads back a receipt, to answer a post that another post of the
	// same ticket stored first.
	Record func(ctx context.Context, d consent.Decision, c *recorder.Credential, kindFromHead bool) (receiptID string, kind consent.Kind, err error)
	Stored func(ctx context.Context, id string) (receipt.Record, error)
	// WantsJSON tells a script's post from a form's; WriteJSON and
	// WriteError answer it as every form post of the server is answered.
	WantsJSON  func(r *http.Request) bool
	WriteJSON  func(w http.ResponseWriter, status int, v any)
	WriteError func(w http.ResponseWriter, r *http.Request, err error)
	// Now is the banner's clock; nil reads the system's.
	Now func() time.Time
}
