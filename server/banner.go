package server

import (
	"context"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/kaiconn/consent/banner"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
)

// newBanner prepares the website's cookie banner (package banner) for the
// latest policy version, over what it uses of the server: the consent
// cookie's key, the form guard, the subject credential and tickets, the
// recorder and the answers every form post gets.
func (s *Server) newBanner() (*banner.Banner, error) {
	return banner.New(banner.Deps{
		Catalogue: s.catalogues[s.policies.Latest().ID],
		Msgs:      s.msgs,
		Log:       s.log,
		Key:       s.newCookieKeys(banner.CookieName),
		Config: banner.Config{
			CookieDomain: s.cfg.CookieDomain,
			MaxAgeAccept: s.cfg.ConsentMaxAgeAccept,
			MaxAgeReject: s.cfg.ConsentMaxAgeReject,
			Origins:      s.cfg.BannerOrigins,
		},
		CSP:        contentSecurityPolicy,
		LangCookie: langCookie,
		SelfOrigin: s.selfOrigin,
		HTTPS:      s.isHTTPS,
		Protect: func(h http.HandlerFunc) http.Handler {
			return s.forms.protect(true, h)
		},
		PageTicket:     s.pageTicket,
		CookieSubject:  s.cookieSubject,
		PostCredential: s.postCredential,
		SetSubject:     s.setSubject,
		Resent:         s.resent,
		TicketValue:    s.creds.TicketValue,
		// Read at each post, not now: the recorder is made after the
		// banner, and tests put a failing store in place.
		Record: func(ctx context.Context, d consent.Decision, c *recorder.Credential, kindFromHead bool) (string, consent.Kind, error) {
			return s.recorder.Decision(ctx, d, c, kindFromHead)
		},
		Stored: func(ctx context.Context, id string) (receipt.Record, error) {
			return s.store.Get(ctx, id)
		},
		WantsJSON:  wantsJSON,
		WriteJSON:  writeJSON,
		WriteError: s.writeError,
	})
}

func (s *Server) mountBanner(r chi.Router) { s.banner.Mount(r) }

// decidedAt is recorder.DecidedAt, the one rule for a decision time a page
// reports, which the gate and the order endpoint apply as the banner does.
func decidedAt(field string, shown, now time.Time) time.Time {
	return recorder.DecidedAt(field, shown, now)
}
