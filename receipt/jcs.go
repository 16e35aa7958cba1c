package receipt

import (
	"unicode/utf8"
)

// The canonical form (RFC 8785, JCS) of an envelope or a receipt is written
// here directly from the wire types, rather than by encoding/json followed
// by a JCS library that parses that output again: hashing, signing and
// checking a receipt canonicalise it several times, and that was the
// costliest step of taking one in. A receipt holds strings, arrays of
// strings and objects only (no number, boolean or null but for a nil
// slice), so JCS reduces to members in sorted order (all member names are
// ASCII, so UTF-16 order is byte order, and the order below is fixed per
// type) and strings escaped as ECMAScript's JSON.stringify does. A test
// holds it equal to jcs.Transform(json.Marshal(wire)) for every shape.

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				dst = append(dst, '\\', '"')
			case c == '\\':
				dst = append(dst, '\\', '\\')
			case c >= 0x20:
				dst = append(dst, c)
			case c == '\b':
				dst = append(dst, '\\', 'b')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\f':
				dst = append(dst, '\\', 'f')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			default:
				const hex = "0123456789abcdef"
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// encoding/json writes invalid UTF-8 as U+FFFD.
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// member appends "name": with the comma that separates it from the
// previous member unless it is the first.
func member(dst []byte, first bool, name string) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

func appendStrings(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '[')
	for i, s := range ss {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

func (p Policy) appendJCS(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendString(member(dst, true, "sha256"), p.SHA256)
	dst = appendString(member(dst, false, "version"), p.Version)
	return append(dst, '}')
}

func (c Controller) appendJCS(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendString(member(dst, true, "address"), c.Address)
	dst = appendString(member(dst, false, "email"), c.Email)
	dst = appendString(member(dst, false, "name"), c.Name)
	return append(dst, '}')
}

func (d Device) appendJCS(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendString(member(dst, true, "alg"), d.Alg)
	dst = append(member(dst, false, "jwk"), '{')
	dst = appendString(member(dst, true, "crv"), d.JWK.Crv)
	dst = appendString(member(dst, false, "kty"), d.JWK.Kty)
	dst = appendString(member(dst, false, "x"), d.JWK.X)
	if d.JWK.Y != "" {
		dst = appendString(member(dst, false, "y"), d.JWK.Y)
	}
	dst = append(dst, '}')
	dst = appendString(member(dst, false, "sig"), d.Sig)
	return append(dst, '}')
}

// appendJCS appends JCS(receipt) in the wire form of its schema.
func (r *Receipt) appendJCS(dst []byte) []byte {
	if r.NamesNotice() {
		return r.appendV2(dst)
	}
	return r.appendV1(dst)
}

func (r *Receipt) appendV1(dst []byte) []byte {
	dst = append(dst, '{')
	dst = r.Controller.appendJCS(member(dst, true, "controller"))
	dst = appendString(member(dst, false, "decision"), r.Decision)
	dst = appendString(member(dst, false, "id"), r.ID)
	dst = appendString(member(dst, false, "issuedAt"), r.IssuedAt)
	dst = appendString(member(dst, false, "jurisdiction"), r.Jurisdiction)
	dst = appendString(member(dst, false, "language"), r.Language)
	dst = r.Policy.appendJCS(member(dst, false, "policy"))
	dst = appendString(member(dst, false, "prevHash"), r.PrevHash)
	// The wire types always hold an array of purposes, empty for none.
	dst = append(member(dst, false, "purposes"), '[')
	for i, p := range r.Purposes {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		dst = appendString(member(dst, true, "consentType"), p.ConsentType)
		dst = appendStrings(member(dst, false, "dataCategories"), p.DataCategories)
		dst = appendString(member(dst, false, "expiresAt"), p.ExpiresAt)
		dst = appendString(member(dst, false, "id"), p.ID)
		dst = appendString(member(dst, false, "recipient"), p.Recipient)
		dst = appendString(member(dst, false, "state"), p.State)
		dst = appendString(member(dst, false, "time"), p.Time)
		dst = append(member(dst, false, "withdraw"), '{')
		dst = appendString(member(dst, true, "text"), p.Withdraw.Text)
		dst = appendString(member(dst, false, "url"), p.Withdraw.URL)
		dst = append(dst, '}', '}')
	}
	dst = append(dst, ']')
	dst = appendString(member(dst, false, "schema"), r.Schema)
	dst = appendString(member(dst, false, "subject"), r.Subject)
	dst = appendString(member(dst, false, "surface"), r.Surface)
	return append(dst, '}')
}

func (r *Receipt) appendV2(dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	if len(r.Confirmed) > 0 {
		dst = appendStrings(member(dst, true, "confirmed"), r.Confirmed)
		first = false
	}
	dst = appendString(member(dst, first, "decision"), r.Decision)
	dst = appendString(member(dst, false, "id"), r.ID)
	dst = appendString(member(dst, false, "issuedAt"), r.IssuedAt)
	dst = appendString(member(dst, false, "jurisdiction"), r.Jurisdiction)
	dst = appendString(member(dst, false, "language"), r.Language)
	dst = appendString(member(dst, false, "notice"), r.Notice)
	dst = r.Policy.appendJCS(member(dst, false, "policy"))
	dst = appendString(member(dst, false, "prevHash"), r.PrevHash)
	dst = append(member(dst, false, "purposes"), '[')
	for i, p := range r.Purposes {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		first := true
		if p.ExpiresAt != "" {
			dst = appendString(member(dst, true, "expiresAt"), p.ExpiresAt)
			first = false
		}
		dst = appendString(member(dst, first, "id"), p.ID)
		dst = appendString(member(dst, false, "state"), p.State)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	dst = appendString(member(dst, false, "schema"), r.Schema)
	dst = appendString(member(dst, false, "subject"), r.Subject)
	dst = appendString(member(dst, false, "surface"), r.Surface)
	return append(dst, '}')
}

// appendJCS appends JCS(envelope): the device member only when the
// envelope has one (a server-attested envelope has none).
func (s *Signed) appendJCS(dst []byte) []byte {
	dst = append(dst, '{')
	dst = appendString(member(dst, true, "attestation"), s.Attestation)
	if s.Device != (Device{}) {
		dst = s.Device.appendJCS(member(dst, false, "device"))
	}
	dst = s.Receipt.appendJCS(member(dst, false, "receipt"))
	return append(dst, '}')
}
