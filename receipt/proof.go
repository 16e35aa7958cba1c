package receipt

import (
	"encoding/json"
	"time"

	"github.com/kaiconn/consent/errs"
)

// HistoryProof shows that the caller holds the device key that signed a
// subject's receipts, so that nobody reads another's history. It travels in
// the header
//
//	Authorization: KaiconnProof <base64url(JSON of HistoryProof)>
//
// and Sig signs "kaiconn-history:" + Subject + ":" + TS with that key, the
// same way device.sig signs a receipt (EdDSA, or ES256 as raw r||s).
type HistoryProof struct {
	Subject string `json:"subject"`
	TS      string `json:"ts"` // RFC 3339, UTC
	Alg     string `json:"alg"`
	JWK     JWK    `json:"jwk"`
	Sig     string `json:"sig"`
}

// ProofScheme is the HTTP authorization scheme of a HistoryProof.
const ProofScheme = "KaiconnProof"

// historyMessage is what a HistoryProof signs.
func historyMessage(subject, ts string) []byte {
	return []byte("kaiconn-history:" + subject + ":" + ts)
}

// SignHistoryProof returns the credential (the part after "KaiconnProof ")
// that proves signer holds the key of subject's receipts at time ts.
func SignHistoryProof(subject string, ts time.Time, signer Signer) (string, error) {
	p := HistoryProof{Subject: subject, TS: FormatTime(ts), Alg: signer.Alg(), JWK: signer.PublicJWK()}
	sig, err := signer.Sign(historyMessage(p.Subject, p.TS))
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

// ParseHistoryProof reads a credential and checks that its signature
// verifies and that ts is within skew of now. All failures are
// errs.Unauthorized: the caller has not shown who it is. Whether the key
// belongs to the subject is for the caller to check against the stored
// receipts (see Thumbprint).
func ParseHistoryProof(credential string, now time.Time, skew time.Duration) (*HistoryProof, error) {
	raw, err := b64.DecodeString(credential)
	if err != nil {
		return nil, errs.New(errs.Unauthorized, "authorization: proof must be base64url JSON")
	}
	var p HistoryProof
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, errs.New(errs.Unauthorized, "authorization: proof must be base64url JSON")
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
	if err := VerifyMessage(p.Alg, p.JWK, historyMessage(p.Subject, p.TS), sig); err != nil {
		return nil, errs.New(errs.Unauthorized, "authorization: proof signature does not verify")
	}
	return &p, nil
}
