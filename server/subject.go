package server

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
)

// A browser's decisions belong to one pseudonymous subject, and the only
// thing that tells the server which is the kc_sub cookie it set itself
// (HttpOnly, signed): never a receipt id, subject or hash the client names.
// See docs/threat-model.md.

// cookieSubject returns the subject of the request's kc_sub cookie, "" when
// it has none, one this server did not sign, or one whose chain ended (it
// was erased): the browser then starts a new subject at its next decision.
func (s *Server) cookieSubject(r *http.Request) string {
	subject := s.cookieSubjectAny(r)
	if s.subjectEnded(r.Context(), subject) {
		return ""
	}
	return subject
}

// cookieSubjectAny is cookieSubject, ended or not.
func (s *Server) cookieSubjectAny(r *http.Request) string {
	c, err := r.Cookie(credential.SubjectCookie)
	if err != nil {
		return ""
	}
	subject, err := s.creds.ParseSubject(c.Value)
	if err != nil {
		s.log.Debug("ignoring subject cookie", "err", errs.Code(err))
		return ""
	}
	return subject
}

// setSubject gives the browser its subject credential. It is called only
// with a decision, never before: until a person decides, no identifier is
// stored in their browser.
func (s *Server) setSubject(w http.ResponseWriter, r *http.Request, subject string) {
	http.SetCookie(w, &http.Cookie{
		Name:     credential.SubjectCookie,
		Value:    s.creds.SubjectValue(subject),
		Path:     "/",
		MaxAge:   int(credential.SubjectCookieMaxAge / time.Second),
		HttpOnly: true,
		Secure:   s.isHTTPS(r),
		SameSite: http.SameSiteLaxMode,
	})
}

// pageTicket mints the ticket a page is rendered with: for the browser's
// subject when it has one, else for a fresh subject, which stays nowhere
// until the person decides.
func (s *Server) pageTicket(r *http.Request) string {
	subject := s.cookieSubject(r)
	if subject == "" {
		subject = receipt.NewSubject()
	}
	return s.ticketFor(subject)
}

// ticketFor mints a ticket for subject now.
func (s *Server) ticketFor(subject string) string {
	return s.creds.TicketValue(credential.MintTicket(subject, time.Now()))
}

// errClientReceiptID answers a form that names its own receipt id, as forms
// did before tickets: the server names receipts.
var errClientReceiptID = errs.New(errs.Invalid, "receipt: the server names receipts; post the page's ticket instead")

// postCredential decides which subject and receipt id a decision posted on
// a form is recorded under (docs/threat-model.md, "Form decisions"):
//
//   - the subject of the kc_sub cookie when the browser has one, else that
//     of the posted ticket (FromTicket), which counts only while it has no
//     receipt: the store checks that as it stores the receipt
//     (receipt.PutOptions.NewSubject), else a fresh subject;
//   - the posted ticket's receipt id when the ticket is for that subject
//     (or for a subject with no receipt, minted before the browser had
//     kc_sub), else a fresh id. Whether the id is used yet is the store's
//     to say, atomically (recorder.Recorder.Decision): looked up here, a second post
//     racing the first could slip between look-up and insert.
//
// A ticket this server did not mint is errs.Invalid; an expired one counts
// as none. A form that names a receipt id itself is refused.
func (s *Server) postCredential(ctx context.Context, r *http.Request) (recorder.Credential, error) {
	if _, named := r.PostForm["receipt"]; named {
		return recorder.Credential{}, errClientReceiptID
	}
	var tk *credential.Ticket
	if v := r.PostForm.Get("ticket"); v != "" {
		t, err := s.creds.ParseTicket(v, time.Now())
		switch {
		case credential.IsExpired(err):
		case err != nil:
			return recorder.Credential{}, err
		default:
			tk = &t
		}
	}
	cookie := s.cookieSubject(r)
	var c recorder.Credential
	switch {
	case tk == nil:
		c.Subject = cookie
	case cookie == "":
		c.Subject, c.ReceiptID, c.FromTicket = tk.Subject, tk.ReceiptID, true
	case tk.Subject == cookie:
		c.Subject, c.ReceiptID = cookie, tk.ReceiptID
	default:
		unused, err := s.subjectUnused(ctx, tk.Subject)
		if err != nil {
			return recorder.Credential{}, err
		}
		c.Subject = cookie
		if tk.NamesSubject(!unused, cookie) {
			// A page rendered before this browser had its subject: the
			// ticket still names its receipt id.
			c.ReceiptID = tk.ReceiptID
		}
	}
	if c.Subject == "" {
		c.Subject = receipt.NewSubject()
	}
	if c.ReceiptID == "" {
		c.ReceiptID = uuid.NewString()
	} else {
		c.ShownAt = tk.MintedAt
	}
	return c, nil
}

// forDevice turns c into what a device signs under, when the wasm posted a
// decision whose receipt its device key will sign (Server.record): the
// server stores nothing then, so whether the ticket's id and subject are
// free is looked up here, and the credential errs on the side of fresh
// ones. A subject named by a ticket alone becomes a fresh subject, since
// the kc_sub this post gets must never be that of a subject another
// browser may still decide on with the same page; a used id becomes a
// fresh id. Ticket is then the ticket the device sends with its receipt.
func (s *Server) forDevice(ctx context.Context, c recorder.Credential) (recorder.Credential, error) {
	if c.FromTicket {
		c.Subject, c.FromTicket = receipt.NewSubject(), false
	}
	switch used, err := s.recorder.Used(ctx, c.ReceiptID); {
	case err != nil:
		return recorder.Credential{}, err
	case used:
		c.ReceiptID, c.ShownAt = uuid.NewString(), time.Time{}
	}
	minted := c.ShownAt
	if minted.IsZero() {
		minted = time.Now().UTC().Truncate(time.Millisecond)
	}
	c.Ticket = s.creds.TicketValue(credential.Ticket{ReceiptID: c.ReceiptID, Subject: c.Subject, MintedAt: minted})
	return c, nil
}

// subjectUnused tells whether subject has no receipt yet.
func (s *Server) subjectUnused(ctx context.Context, subject string) (bool, error) {
	switch _, err := s.store.Tip(ctx, subject); errs.Code(err) {
	case errs.NotFound:
		return true, nil
	case "":
		return false, nil
	default:
		return false, err
	}
}

// resent finds the receipt of a decision posted before with the same page:
// the posted ticket's id is stored, for the ticket's subject or the
// browser's, and records this very decision (recorder.Holds). Such a post is
// a resend whose acknowledgement was lost (the network dropped, the page
// was closed, a form sent twice), and it is answered as the first was. It
// must set no kc_sub: the ticket is in the page, where another script could
// read it, and must not hand out the subject credential. Posts that race
// the first one past this look-up meet the stored id in the store instead
// (recorder.Recorder.Decision).
func (s *Server) resent(r *http.Request, d consent.Decision) (receipt.Record, bool, error) {
	v := r.PostForm.Get("ticket")
	if v == "" {
		return receipt.Record{}, false, nil
	}
	tk, err := s.creds.ParseTicket(v, time.Now())
	if err != nil {
		return receipt.Record{}, false, nil // postCredential says why, or counts it as none
	}
	return s.recorder.Stored(r.Context(), tk.ReceiptID, d, tk.Subject, s.cookieSubject(r))
}
