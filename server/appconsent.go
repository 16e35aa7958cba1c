package server

import (
	"context"

	"net/http"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/consentreceipt"
	"github.com/kaiconn/consent/recorder"

	"github.com/kaiconn/consent/appconsent"
)

// newAppConsent prepares the app's first-launch gate and privacy settings
// (package appconsent) over what they use of the server: the catalogues,
// the decision cookie's key, the form guard, the subject credential and
// tickets, the recorder, and the answers every form post gets.
func (s *Server) newAppConsent() *appconsent.App {
	return appconsent.New(appconsent.Deps{
		Log:          s.log,
		Msgs:         s.msgs,
		Policies:     s.policies,
		Catalogues:   s.catalogues,
		AgreementURL: s.cfg.UserAgreementURL,
		Key:          s.newCookieKeys(appconsent.CookieName),
		HTTPS:        s.isHTTPS,
		Lang:         s.readerLang,
		Protect: func(h http.HandlerFunc) http.Handler {
			return s.forms.protect(false, h)
		},
		PageTicket:     s.pageTicket,
		TicketFor:      s.ticketFor,
		CookieSubject:  s.cookieSubject,
		PostCredential: s.postCredential,
		ForDevice:      s.forDevice,
		SetSubject:     s.setSubject,
		Resent:         s.resent,
		// Read at each post, not now: the recorder is made after the
		// surfaces, and tests put a failing store in place.
		Record: func(ctx context.Context, d consent.Decision, c *recorder.Credential, kindFromHead bool) (string, consent.Kind, error) {
			return s.recorder.Decision(ctx, d, c, kindFromHead)
		},
		Order: func(ctx context.Context, d consent.Decision, c recorder.Credential) (*consentreceipt.Order, consent.Kind, error) {
			return s.recorder.Order(ctx, d, c)
		},
		Receipts:   s.handleReceiptsDownload,
		WantsJSON:  wantsJSON,
		WriteJSON:  writeJSON,
		WriteError: s.writeError,
	})
}
