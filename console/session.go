package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"time"

	"github.com/kaiconn/consent/errs"
)

// Session is an operator signed in. The browser holds only the token; the
// store keeps its hash (ID), so that a copy of the database signs nobody
// in.
type Session struct {
	ID        string // hex SHA-256 of the token
	Operator  string
	CSRF      string // the token every form of the session posts back
	CreatedAt time.Time
	ExpiresAt time.Time
}

// NewSession starts a session of operator for lifetime and returns it with
// the token to hand to the browser.
func NewSession(operator string, now time.Time, lifetime time.Duration) (s Session, token string) {
	token = randomToken()
	now = now.UTC().Truncate(time.Microsecond)
	return Session{ID: SessionID(token), Operator: operator, CSRF: randomToken(), CreatedAt: now, ExpiresAt: now.Add(lifetime)}, token
}

// SessionID is the store's key of a session token.
func SessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Valid reports whether s is still a session at now.
func (s Session) Valid(now time.Time) bool { return now.Before(s.ExpiresAt) }

// CheckCSRF compares a posted token with the session's, in constant time.
func (s Session) CheckCSRF(posted string) error {
	if posted == "" || subtle.ConstantTimeCompare([]byte(posted), []byte(s.CSRF)) != 1 {
		return errs.New(errs.Forbidden, "csrf: the form is not one this session was given")
	}
	return nil
}

// randomToken is 256 random bits, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24.
	return base64.RawURLEncoding.EncodeToString(b)
}
