package receipt

import (
	"crypto"

	"github.com/go-jose/go-jose/v4"
)

// Thumbprint returns the RFC 7638 SHA-256 thumbprint of the key, base64url.
func (j JWK) Thumbprint() (string, error) {
	alg := AlgEdDSA
	if j.Kty == "EC" {
		alg = AlgES256
	}
	pub, err := j.publicKey(alg, "jwk")
	if err != nil {
		return "", err
	}
	return thumbprint(pub)
}

func thumbprint(pub crypto.PublicKey) (string, error) {
	tp, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(tp), nil
}
