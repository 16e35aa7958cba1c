package storetest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/kaiconn/consent/receipt"
)

// Device stands for one phone or browser in realistic records: a device key
// (only its public half and thumbprint; stores never verify signatures) and
// the server key that countersigns.
type Device struct {
	JWK       receipt.JWK
	Thumb     string // RFC 7638 thumbprint of JWK
	ServerKid string
}

// NewDevice returns a device with a fresh random key.
func NewDevice() *Device {
	x := randomB64(32)
	jwk := receipt.JWK{Kty: "OKP", Crv: "Ed25519", X: x}
	thumb, err := jwk.Thumbprint()
	if err != nil {
		panic(err) // 32 random bytes are always an Ed25519 public key encoding.
	}
	return &Device{JWK: jwk, Thumb: thumb, ServerKid: randomB64(32)}
}

// realisticPurposes are the app audience's purposes of the 2022-10
// catalogue, in id order, as a first-launch "agreed" gives them.
var realisticPurposes = []struct{ id, state string }{
	{"analytics", receipt.StateRefused},
	{"basic", receipt.StateGiven},
	{"crash-reports", receipt.StateGiven},
	{"location", receipt.StateRefused},
	{"push", receipt.StateGiven},
	{"wechat-share", receipt.StateRefused},
}

// The members of a kaiconn-receipt/2 envelope, declared in JCS order (member
// names sorted), so that json.Marshal writes the canonical bytes.
type (
	realisticPurpose struct {
		ExpiresAt string `json:"expiresAt,omitempty"`
		ID        string `json:"id"`
		Notice    string `json:"notice"`
		State     string `json:"state"`
	}
	realisticPolicy struct {
		SHA256  string `json:"sha256"`
		Version string `json:"version"`
	}
	realisticJWK struct {
		Crv string `json:"crv"`
		Kty string `json:"kty"`
		X   string `json:"x"`
	}
	realisticDevice struct {
		Alg string       `json:"alg"`
		JWK realisticJWK `json:"jwk"`
		Sig string       `json:"sig"`
	}
	realisticReceipt struct {
		Controller   string             `json:"controller"`
		Decision     string             `json:"decision"`
		ID           string             `json:"id"`
		IssuedAt     string             `json:"issuedAt"`
		Jurisdiction string             `json:"jurisdiction"`
		Language     string             `json:"language"`
		Policy       realisticPolicy    `json:"policy"`
		PrevHash     string             `json:"prevHash"`
		Purposes     []realisticPurpose `json:"purposes"`
		Schema       string             `json:"schema"`
		Subject      string             `json:"subject"`
		Surface      string             `json:"surface"`
		Withdrawal   string             `json:"withdrawal"`
	}
	realisticEnvelope struct {
		Attestation string           `json:"attestation"`
		Device      realisticDevice  `json:"device"`
		Receipt     realisticReceipt `json:"receipt"`
	}
)

// RealisticRecord returns a record the size and shape of what the API stores
// for a device-signed kaiconn-receipt/2 first-launch decision: six purposes
// referenced by notice hashes (a body of about 1,500 bytes), a detached JWS
// countersignature (about 180 bytes), a UUID id, a "sub_" subject and hex
// hashes. Signatures are random bytes of the right length: stores never
// verify them, and signing would make benchmarks measure Ed25519.
func RealisticRecord(d *Device, subject string, prev *receipt.Record) receipt.Record {
	now := time.Now().UTC().Truncate(time.Millisecond)
	prevHash, prevVersion := "", ""
	if prev != nil {
		prevHash, prevVersion = prev.Hash, prev.PolicyVersion
	}
	r := realisticReceipt{
		Controller:   randomHex(32),
		Decision:     receipt.DecisionAgreed,
		ID:           uuid.NewString(),
		IssuedAt:     receipt.FormatTime(now),
		Jurisdiction: receipt.Jurisdiction,
		Language:     receipt.LangZhHans,
		Policy:       realisticPolicy{Version: "2022-10", SHA256: randomHex(32)},
		PrevHash:     prevHash,
		Schema:       "kaiconn-receipt/2",
		Subject:      subject,
		Surface:      receipt.SurfaceFirstLaunch,
		Withdrawal:   randomHex(32),
	}
	states := make(map[string]string, len(realisticPurposes))
	for _, p := range realisticPurposes {
		rp := realisticPurpose{ID: p.id, Notice: randomHex(32), State: p.state}
		if p.state == receipt.StateGiven {
			rp.ExpiresAt = receipt.FormatTime(now.AddDate(0, 0, 365))
		}
		r.Purposes = append(r.Purposes, rp)
		states[p.id] = p.state
	}
	body, err := json.Marshal(realisticEnvelope{
		Attestation: receipt.AttestationDevice,
		Device: realisticDevice{
			Alg: receipt.AlgEdDSA,
			JWK: realisticJWK{Crv: d.JWK.Crv, Kty: d.JWK.Kty, X: d.JWK.X},
			Sig: randomB64(64),
		},
		Receipt: r,
	})
	if err != nil {
		panic(err) // Strings and slices of strings always marshal.
	}
	sum := sha256.Sum256(body)
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"EdDSA","kid":"` + d.ServerKid + `"}`))
	return receipt.Record{
		ID:            r.ID,
		Subject:       subject,
		PrevHash:      prevHash,
		Hash:          hex.EncodeToString(sum[:]),
		PolicyVersion: r.Policy.Version,
		Surface:       r.Surface,
		IssuedAt:      now,
		ReceivedAt:    now,
		Body:          body,
		Countersig:    header + ".." + randomB64(64),
		KeyID:         d.ServerKid,
		Language:      r.Language,
		Decision:      r.Decision,
		Schema:        2,
		DeviceKey:     d.Thumb,
		States:        states,
		ShownAt:       now.Add(-4 * time.Second),
		Reask:         prevVersion != "" && prevVersion < r.Policy.Version,
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24.
	return hex.EncodeToString(b)
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
