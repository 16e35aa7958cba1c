package receipt

import (
	"encoding/json"
	"time"

	"github.com/kaiconn/consent/errs"
)

// HistoryProof shows that the caller holds a device key, so that only a key
// the subject enrolled reads the subject's receipts. It travels in the
// header
//
//	Authorization: KaiconnProof <base64url(JSON of HistoryProof)>
//
// and Sig signs "kaiconn-history:" + Subject + ":" + TS + ":" + Nonce with
// that key, the same way device.sig signs a receipt (EdDSA, or ES256 as raw
// r||s). The nonce is one the server minted (GET /api/v1/nonce, or the
// nonce of a KaiconnProof challenge); the server accepts each nonce once, so
// a proof cannot be replayed.
type HistoryProof struct {
	Subject string `json:"subject"`
	TS      string `json:"ts"` // RFC 3339, UTC
	Nonce   string `json:"nonce"`
	Alg     string `json:"alg"`
	JWK     JWK    `json:"jwk"`
	Sig     string `json:"sig"`
}

// ProofScheme is the HTTP authorization scheme of a HistoryProof.
const ProofScheme = "KaiconnProof"

// historyMessage is what a HistoryProof signs.
func historyMessage(subject, ts, nonce string) []byte {
	return []byte("kaiconn-history:" + subject + ":" + ts + ":" + nonce)
}

// SignHistoryProof returns the credential (the part after "KaiconnProof ")
// that proves signer holds a key of subject's at time ts, bound to the
// server's nonce.
func SignHistoryProof(subject string, ts time.Time, nonce string, signer Signer) (string, error) {
	p := HistoryProof{Subject: subject, TS: FormatTime(ts), Nonce: nonce, Alg: signer.Alg(), JWK: signer.PublicJWK()}
	sig, err := signer.Sign(historyMessage(p.Subject, p.TS, p.Nonce))
	if err != nil {
		return "", err
	}
	p.Sig = b64.EncodeToString(sig)
	b, err := json.Marshal(p)
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(b), nil
}

// ErrProofWithoutNonce refuses a proof of the first version, which signed
// no nonce and so could be replayed for as long as its ts was recent.
var ErrProofWithoutNonce = errs.New(errs.Unauthorized,
	"authorization: the proof has no nonce: proofs now sign kaiconn-history:<subject>:<ts>:<nonce> with a nonce from GET /api/v1/nonce (or the WWW-Authenticate challenge), good once")

// ParseHistoryProof reads a credential and checks that its signature
// verifies, that it carries a nonce, and that ts is within skew of now. All
// failures are errs.Unauthorized: the caller has not shown who it is.
// Whether the server minted the nonce, and whether it was used before, is
// the caller's to check; so is whether the key is enrolled for the subject
// (see Thumbprint and Store.KeySubject).
func ParseHistoryProof(credential string, now time.Time, skew time.Duration) (*HistoryProof, error) {
	raw, err := b64.DecodeString(credential)
	if err != nil {
		return nil, errs.New(errs.Unauthorized, "authorization: proof must be base64url JSON")
	}
	var p HistoryProof
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, errs.New(errs.Unauthorized, "authorization: proof must be base64url JSON")
	}
	if p.Nonce == "" {
		return nil, ErrProofWithoutNonce
	}
	ts, err := time.Parse(time.RFC3339Nano, p.TS)
	if err != nil {
		return nil, errs.New(errs.Unauthorized, "authorization: proof ts must be an RFC 3339 time")
	}
	if d := now.Sub(ts); d > skew || d < -skew {
		return nil, errs.New(errs.Unauthorized, "authorization: proof ts is not within %s of the server's clock", skew)
	}
	sig, err := b64.DecodeString(p.Sig)
	if err != nil {
		return nil, errs.New(errs.Unauthorized, "authorization: proof sig must be base64url")
	}
	if err := VerifyMessage(p.Alg, p.JWK, historyMessage(p.Subject, p.TS, p.Nonce), sig); err != nil {
		return nil, errs.New(errs.Unauthorized, "authorization: proof signature does not verify")
	}
	return &p, nil
}
