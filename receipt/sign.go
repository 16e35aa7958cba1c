package receipt

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"github.com/kaiconn/consent/errs"
)

// Device signature algorithms.
const (
	AlgEdDSA = "EdDSA" // Ed25519
	AlgES256 = "ES256" // ECDSA P-256 with SHA-256, raw r||s signatures
)

// Signer is a device key. The browser plugs WebCrypto in; Go code and tests
// use Ed25519Signer or ES256Signer.
type Signer interface {
	// Alg is AlgEdDSA or AlgES256.
	Alg() string
	// PublicJWK is the public key, as it goes into the envelope.
	PublicJWK() JWK
	// Sign signs msg. ES256 signers return raw r||s (64 bytes), as WebCrypto
	// does, not ASN.1 DER.
	Sign(msg []byte) ([]byte, error)
}

// Sign checks r against the format, signs its canonical bytes with signer and
// returns the envelope. It verifies the fresh signature, so that a faulty
// signer (a WebCrypto bridge, say) fails here and not at the server.
func Sign(r *Receipt, signer Signer) (*Signed, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	msg, err := r.Canonical()
	if err != nil {
		return nil, err
	}
	sig, err := signer.Sign(msg)
	if err != nil {
		return nil, fmt.Errorf("receipt: device signer: %w", err)
	}
	s := &Signed{
		Attestation: AttestationDevice,
		Receipt:     *r,
		Device:      Device{Alg: signer.Alg(), JWK: signer.PublicJWK(), Sig: b64.EncodeToString(sig)},
	}
	if err := s.Device.check(); err != nil {
		return nil, err
	}
	if err := verifySigned(s); err != nil {
		return nil, err
	}
	return s, nil
}

// VerifyDevice checks the device signature over JCS(receipt). A bad signature,
// or a server-attested envelope that has none, is errs.Unprocessable; a
// malformed key or signature errs.Invalid.
func (s *Signed) VerifyDevice() error {
	if s.Attestation != AttestationDevice {
		return errs.New(errs.Unprocessable, "attestation: must be device: the receipt carries no device signature")
	}
	sig, err := b64.DecodeString(s.Device.Sig)
	if err != nil {
		return invalid("device.sig", "must be base64url without padding")
	}
	msg, err := s.Receipt.Canonical()
	if err != nil {
		return err
	}
	return s.verifyDeviceOver(msg, sig)
}

// receiptInEnvelope returns JCS(receipt) sliced out of JCS(envelope) of a
// device-signed envelope, nil when canon does not have that shape. JCS
// canonicalises a nested object exactly as it would alone, and "receipt"
// sorts after "attestation" and "device", so the receipt is the last
// member; no member named "receipt" occurs inside it.
func receiptInEnvelope(canon []byte) []byte {
	key := []byte(`,"receipt":{`)
	i := bytes.LastIndex(canon, key)
	if i < 0 || !bytes.HasPrefix(canon, []byte(`{"attestation":"device",`)) || !bytes.HasSuffix(canon, []byte("}}")) {
		return nil
	}
	return canon[i+len(key)-1 : len(canon)-1]
}

func (s *Signed) verifyDeviceOver(msg, sig []byte) error {
	if err := VerifyMessage(s.Device.Alg, s.Device.JWK, msg, sig); err != nil {
		return errs.New(errs.Unprocessable, "device.sig: signature does not verify against device.jwk")
	}
	return nil
}

// VerifyMessage checks a device signature over msg with the device algorithm
// alg (AlgEdDSA or AlgES256) and public key jwk. It fails with errs.Invalid for
// a malformed key and errs.Unprocessable for a wrong signature.
func VerifyMessage(alg string, jwk JWK, msg, sig []byte) error {
	pub, err := jwk.publicKey(alg, "jwk")
	if err != nil {
		return err
	}
	ok := false
	switch k := pub.(type) {
	case ed25519.PublicKey:
		ok = ed25519.Verify(k, msg, sig)
	case *ecdsa.PublicKey:
		ok = verifyES256(k, msg, sig)
	}
	if !ok {
		return errs.New(errs.Unprocessable, "signature does not verify")
	}
	return nil
}

func verifyES256(k *ecdsa.PublicKey, msg, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	der, err := rawToASN1(sig)
	if err != nil {
		return false
	}
	digest := sha256.Sum256(msg)
	return ecdsa.VerifyASN1(k, digest[:], der)
}

// publicKey parses the JWK for algorithm alg; field prefixes error messages.
func (j JWK) publicKey(alg, field string) (crypto.PublicKey, error) {
	x, y, err := j.shape(alg, field)
	if err != nil {
		return nil, err
	}
	if alg == AlgEdDSA {
		return ed25519.PublicKey(x), nil
	}
	k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		return nil, invalid(field, "not a point on P-256")
	}
	return k, nil
}

// shape checks the JWK's members for algorithm alg, but not that an ES256
// key is a point on the curve, and returns its coordinates (y only for
// ES256).
func (j JWK) shape(alg, field string) (x, y []byte, err error) {
	x, err = b64.DecodeString(j.X)
	if err != nil {
		return nil, nil, invalid(field+".x", "must be base64url without padding")
	}
	switch alg {
	case AlgEdDSA:
		if j.Kty != "OKP" || j.Crv != "Ed25519" {
			return nil, nil, invalid(field, "must be an OKP key on Ed25519 for EdDSA")
		}
		if j.Y != "" {
			return nil, nil, invalid(field+".y", "unknown member for an OKP key")
		}
		if len(x) != ed25519.PublicKeySize {
			return nil, nil, invalid(field+".x", "must be 32 bytes")
		}
		return x, nil, nil
	case AlgES256:
		if j.Kty != "EC" || j.Crv != "P-256" {
			return nil, nil, invalid(field, "must be an EC key on P-256 for ES256")
		}
		y, err := b64.DecodeString(j.Y)
		if err != nil || j.Y == "" {
			return nil, nil, invalid(field+".y", "must be base64url without padding")
		}
		if len(x) != 32 || len(y) != 32 {
			return nil, nil, invalid(field, "x and y must be 32 bytes each")
		}
		return x, y, nil
	}
	return nil, nil, invalid("alg", "must be EdDSA or ES256")
}

// Ed25519Signer signs with an Ed25519 private key held in memory.
type Ed25519Signer struct{ Key ed25519.PrivateKey }

// GenerateEd25519Signer returns a signer with a fresh key.
func GenerateEd25519Signer() *Ed25519Signer {
	_, priv, _ := ed25519.GenerateKey(rand.Reader) // never fails with crypto/rand
	return &Ed25519Signer{Key: priv}
}

func (s *Ed25519Signer) Alg() string { return AlgEdDSA }

func (s *Ed25519Signer) PublicJWK() JWK {
	pub := s.Key.Public().(ed25519.PublicKey)
	return JWK{Kty: "OKP", Crv: "Ed25519", X: b64.EncodeToString(pub)}
}

func (s *Ed25519Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.Key, msg), nil }

// ES256Signer signs with an ECDSA P-256 private key held in memory and
// returns raw r||s signatures, like WebCrypto.
type ES256Signer struct{ Key *ecdsa.PrivateKey }

// GenerateES256Signer returns a signer with a fresh key.
func GenerateES256Signer() *ES256Signer {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // never fails with crypto/rand
	return &ES256Signer{Key: k}
}

func (s *ES256Signer) Alg() string { return AlgES256 }

func (s *ES256Signer) PublicJWK() JWK {
	raw, err := s.Key.PublicKey.Bytes() // 0x04 || x || y
	if err != nil || len(raw) != 65 {
		return JWK{Kty: "EC", Crv: "P-256"}
	}
	return JWK{Kty: "EC", Crv: "P-256", X: b64.EncodeToString(raw[1:33]), Y: b64.EncodeToString(raw[33:])}
}

func (s *ES256Signer) Sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	der, err := ecdsa.SignASN1(rand.Reader, s.Key, digest[:])
	if err != nil {
		return nil, err
	}
	return asn1ToRaw(der)
}
