package receipt

import "github.com/kaiconn/consent/errs"

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
