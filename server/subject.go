package server

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
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

// postCredential is what a decision posted on a form is recorded under.
type postCredential struct {
	Subject   string
	ReceiptID string
	// ShownAt is the mint time of the ticket the page was rendered with;
	// zero when the post carried none that could be used.
	ShownAt time.Time
	// Ticket names ReceiptID and Subject: the one posted when it could be
	// used, else a fresh one. The device that signs the receipt sends it to
	// the API, which then lets it enroll its key for Subject.
	Ticket string
}

// errClientReceiptID answers a form that names its own receipt id, as forms
// did before tickets: the server names receipts.
var errClientReceiptID = errs.New(errs.Invalid, "receipt: the server names receipts; post the page's ticket instead")

// postCredential decides which subject and receipt id a decision posted on
// a form is recorded under (docs/threat-model.md, "Form decisions"):
//
//   - the subject of the kc_sub cookie when the browser has one, else that
//     of the posted ticket when that subject has no receipt yet, else a
//     fresh subject;
//   - the posted ticket's receipt id when the ticket is for that subject
//     (or for a subject with no receipt, minted before the browser had
//     kc_sub) and its id is not used yet, else a fresh id.
//
// A ticket this server did not mint is errs.Invalid; an expired one counts
// as none. A form that names a receipt id itself is refused.
func (s *Server) postCredential(ctx context.Context, r *http.Request) (postCredential, error) {
	if _, named := r.PostForm["receipt"]; named {
		return postCredential{}, errClientReceiptID
	}
	now := time.Now()
	var tk *credential.Ticket
	if v := r.PostForm.Get("ticket"); v != "" {
		t, err := s.creds.ParseTicket(v, now)
		switch {
		case credential.IsExpired(err):
		case err != nil:
			return postCredential{}, err
		default:
			tk = &t
		}
	}
	cookie := s.cookieSubject(r)
	var c postCredential
	switch {
	case tk == nil:
		c.Subject = cookie
	case cookie != "" && tk.Subject == cookie:
		c.Subject, c.ReceiptID = cookie, tk.ReceiptID
	default:
		unused, err := s.subjectUnused(ctx, tk.Subject)
		if err != nil {
			return postCredential{}, err
		}
		switch {
		case unused && cookie != "":
			// A page rendered before this browser had its subject.
			c.Subject, c.ReceiptID = cookie, tk.ReceiptID
		case unused:
			c.Subject, c.ReceiptID = tk.Subject, tk.ReceiptID
		default:
			// Another browser's ticket, or one for a subject this browser
			// no longer holds: it names nothing here.
			c.Subject = cookie
		}
	}
	if c.Subject == "" {
		c.Subject = receipt.NewSubject()
	}
	if c.ReceiptID != "" {
		switch _, err := s.store.Get(ctx, c.ReceiptID); errs.Code(err) {
		case errs.NotFound:
			c.ShownAt = tk.MintedAt
			if tk.Subject == c.Subject {
				c.Ticket = s.creds.TicketValue(*tk)
			}
		case "":
			c.ReceiptID = "" // used already: a ticket is good once
		default:
			return postCredential{}, err
		}
	}
	if c.ReceiptID == "" {
		c.ReceiptID = uuid.NewString()
	}
	if c.Ticket == "" {
		c.Ticket = s.creds.TicketValue(credential.Ticket{ReceiptID: c.ReceiptID, Subject: c.Subject, MintedAt: firstNonZero(c.ShownAt, now.UTC().Truncate(time.Millisecond))})
	}
	return c, nil
}

func firstNonZero(a, b time.Time) time.Time {
	if a.IsZero() {
		return b
	}
	return a
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
