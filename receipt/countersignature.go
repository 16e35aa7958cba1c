package receipt

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/kaiconn/consent/errs"
)

// VerifyCountersignature checks that jws is a signature over payload by a
// key in jwks and returns that key's id. jws is compact: detached
// ("<protected>..<signature>", as Keyring.Countersign writes it) or carrying
// its payload, which must then be payload. It checks the signature alone:
// whoever holds payload knows what it is (an envelope's canonical bytes,
// a proof bundle). Failures are errs.Invalid for a malformed jws or jwks and
// errs.Unprocessable otherwise, each message starting "countersignature: ".
func VerifyCountersignature(payload []byte, jws string, jwks []byte) (kid string, err error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		return "", errs.New(errs.Invalid, "jwks: not a JSON Web Key Set")
	}
	compact := strings.TrimSpace(jws)
	if !strictSegments(compact) {
		return "", errs.New(errs.Invalid, "countersignature: not a compact EdDSA JWS")
	}
	algs := []jose.SignatureAlgorithm{jose.EdDSA}
	var obj *jose.JSONWebSignature
	detached := IsDetached(compact)
	if detached {
		obj, err = jose.ParseDetached(compact, payload, algs)
	} else {
		obj, err = jose.ParseSignedCompact(compact, algs)
	}
	if err != nil || len(obj.Signatures) != 1 {
		return "", errs.New(errs.Invalid, "countersignature: not a compact EdDSA JWS")
	}
	kid = obj.Signatures[0].Header.KeyID
	keys := set.Key(kid)
	if kid == "" || len(keys) == 0 {
		return "", errs.New(errs.Unprocessable, "countersignature: key %q is not in the JWKS", kid)
	}
	signed, err := obj.Verify(keys[0].Public())
	if err != nil {
		if detached {
			// The payload reattached is this envelope: the signature
			// was made over other bytes or forged, and nothing tells
			// which. Altered envelopes are the likely case, and read as
			// the full form reports them.
			return "", errs.New(errs.Unprocessable, "countersignature: signs other bytes than this envelope, or is forged: it does not verify with key %q over it", kid)
		}
		return "", errs.New(errs.Unprocessable, "countersignature: does not verify with key %q", kid)
	}
	if !bytes.Equal(signed, payload) {
		return "", errs.New(errs.Unprocessable, "countersignature: signs other bytes than this envelope")
	}
	return kid, nil
}

// strictSegments reports whether the protected header and the signature of
// a compact JWS are base64url with no padding and no stray bits. JOSE
// libraries decode leniently, so that a changed last character of a
// signature can decode to the same bytes: one altered byte of a proof
// bundle would then still verify.
func strictSegments(compact string) bool {
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range []string{parts[0], parts[2]} {
		if _, err := b64.DecodeString(p); err != nil {
			return false
		}
	}
	return true
}
