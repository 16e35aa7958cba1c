package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
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

// Sign is mac, for the banner's cookie (banner.Key).
func (k cookieKeys) Sign(body string) string { return k.mac(body) }

// Verify is verify, for the banner's cookie (banner.Key).
func (k cookieKeys) Verify(body, mac string) bool { return k.verify(body, mac) }

func cookieMAC(key []byte, body string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
