package receipt

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/kaiconn/consent/errs"
)

// KeySignature is one key's signature over a statement.
type KeySignature struct {
	Alg string `json:"alg"`
	JWK JWK    `json:"jwk"`
	Sig string `json:"sig"`
}

// KeyStatement enrolls a new device key for a subject: a key the subject
// already enrolled (By) vouches for it, and the new key (New) proves it is
// held, both by signing
//
//	kaiconn-enroll:<subject>:<RFC 7638 thumbprint of the new key>:<nonce>
//
// with a nonce the server minted, so the statement is good once. It is the
// body of POST /api/v1/subjects/{subject}/keys.
type KeyStatement struct {
	Subject string       `json:"subject"`
	Nonce   string       `json:"nonce"`
	New     KeySignature `json:"new"`
	By      KeySignature `json:"by"`
}

func enrollMessage(subject, thumbprint, nonce string) []byte {
	return []byte("kaiconn-enroll:" + subject + ":" + thumbprint + ":" + nonce)
}

// SignKeyStatement returns the statement by which key by, enrolled for
// subject, enrolls newKey.
func SignKeyStatement(subject, nonce string, newKey, by Signer) (KeyStatement, error) {
	thumb, err := newKey.PublicJWK().Thumbprint()
	if err != nil {
		return KeyStatement{}, err
	}
	msg := enrollMessage(subject, thumb, nonce)
	st := KeyStatement{Subject: subject, Nonce: nonce}
	for _, s := range []struct {
		signer Signer
		out    *KeySignature
	}{{newKey, &st.New}, {by, &st.By}} {
		sig, err := s.signer.Sign(msg)
		if err != nil {
			return KeyStatement{}, err
		}
		*s.out = KeySignature{Alg: s.signer.Alg(), JWK: s.signer.PublicJWK(), Sig: b64.EncodeToString(sig)}
	}
	return st, nil
}

// Verify checks both signatures of st and returns the thumbprints of the new
// key and of the key that vouches for it. Failures are errs.Unprocessable
// naming the member, or errs.Unauthorized for the vouching key. Whether By
// is enrolled for Subject, and the nonce, are the caller's to check.
func (st KeyStatement) Verify() (newThumb, byThumb string, err error) {
	if err := CheckSubject(st.Subject); err != nil {
		return "", "", err
	}
	if st.Nonce == "" {
		return "", "", errs.New(errs.Invalid, "nonce: required, from GET /api/v1/nonce")
	}
	if newThumb, err = st.New.JWK.Thumbprint(); err != nil {
		return "", "", errs.New(errs.Invalid, "new.jwk: %s", errs.Message(err))
	}
	if byThumb, err = st.By.JWK.Thumbprint(); err != nil {
		return "", "", errs.New(errs.Invalid, "by.jwk: %s", errs.Message(err))
	}
	if newThumb == byThumb {
		return "", "", errs.New(errs.Unprocessable, "new: the same key as by")
	}
	msg := enrollMessage(st.Subject, newThumb, st.Nonce)
	for _, s := range []struct {
		member string
		sig    KeySignature
		code   string
	}{{"new.sig", st.New, errs.Unprocessable}, {"by.sig", st.By, errs.Unauthorized}} {
		raw, err := b64.DecodeString(s.sig.Sig)
		if err != nil {
			return "", "", errs.New(s.code, "%s: must be base64url", s.member)
		}
		if err := VerifyMessage(s.sig.Alg, s.sig.JWK, msg, raw); err != nil {
			return "", "", errs.New(s.code, "%s: does not verify over kaiconn-enroll:<subject>:<new thumbprint>:<nonce>", s.member)
		}
	}
	return newThumb, byThumb, nil
}

// DecodeKeyStatement reads the body of POST /api/v1/subjects/{subject}/keys
// as strictly as Decode reads a receipt: a duplicate member name, an
// unknown or differently cased member, a missing, null or mistyped one are
// refused with code errs.Invalid and a message naming the member.
// encoding/json alone would take the last of two duplicates and match
// names without regard to case, so that what the signer meant and what the
// server read could differ.
func DecodeKeyStatement(data []byte) (KeyStatement, error) {
	var st KeyStatement
	if path, ok := duplicateMember(data); ok {
		return st, errs.New(errs.Invalid, "%s: duplicate member name", path)
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil || dec.More() {
		return st, errs.New(errs.Invalid, "body: not valid JSON")
	}
	if err := decodeShape(data, tree, &st); err != nil {
		return KeyStatement{}, err
	}
	return st, nil
}

// duplicateMember finds the first object member whose name repeats one
// before it in the same object, and returns its path (new.jwk.x); ok is
// false when there is none or data is not JSON (which the caller reports).
func duplicateMember(data []byte) (path string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func(prefix string) (string, bool, error)
	walk = func(prefix string) (string, bool, error) {
		tok, err := dec.Token()
		if err != nil {
			return "", false, err
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				t, err := dec.Token()
				if err != nil {
					return "", false, err
				}
				name, _ := t.(string)
				p := join(prefix, name)
				if seen[name] {
					return p, true, nil
				}
				seen[name] = true
				if p, found, err := walk(p); found || err != nil {
					return p, found, err
				}
			}
			_, err = dec.Token() // '}'
			return "", false, err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if p, found, err := walk(fmt.Sprintf("%s[%d]", prefix, i)); found || err != nil {
					return p, found, err
				}
			}
			_, err = dec.Token() // ']'
			return "", false, err
		}
		return "", false, nil
	}
	p, found, err := walk("")
	return p, found && err == nil
}
