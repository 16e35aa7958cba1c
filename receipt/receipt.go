package receipt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"time"

	"github.com/google/uuid"
)

// Schemas of the receipt format a reader accepts; it refuses any other.
//
// kaiconn-receipt/1 inlines every text a purpose was given under (recipient,
// data categories, withdrawal text) and the controller's name and address.
// kaiconn-receipt/2 names the same texts by the hash of one notice instead,
// the list of everything the surface showed, each part a notice of its own
// kept in a registry (package notice). That keeps a receipt small while
// still proving, byte for byte, what the person was shown.
// kaiconn-receipt/3 has the members of kaiconn-receipt/2 and one more state,
// necessary: processing that rests on its necessity for the service the
// person asked for (PIPL art. 13(1)(2)), not on their consent, so that a
// receipt of a refusal no longer records the required processing as
// consented to. Readers accept all three; new receipts are /3.
const (
	SchemaV1 = "kaiconn-receipt/1"
	SchemaV2 = "kaiconn-receipt/2"
	SchemaV3 = "kaiconn-receipt/3"
)

// Schema is the first version of the format.
//
// Deprecated: name the version, SchemaV1, SchemaV2 or SchemaV3.
const Schema = SchemaV1

// Jurisdiction is the law the receipts are given under (PIPL).
const Jurisdiction = "CN"

// WithdrawURL is where a person withdraws consent; every purpose points there
// so that withdrawing is as easy as giving (PIPL art. 15).
const WithdrawURL = "/settings/privacy"

// Surfaces on which a decision can be taken.
const (
	SurfaceFirstLaunch = "first-launch"
	SurfaceWebBanner   = "web-banner"
	SurfaceSettings    = "settings"
)

// Languages the policy is shown in; the policy hash is of the text in that
// language.
const (
	LangZhHans = "zh-Hans"
	LangEn     = "en"
)

// Decision kinds: what the person did on the surface.
const (
	DecisionAgreed    = "agreed"
	DecisionDeclined  = "declined"
	DecisionUpdated   = "updated"
	DecisionWithdrawn = "withdrawn"
)

// Consent types: PIPL asks a separate consent for sensitive data, for
// providing data to other controllers and for transfers abroad.
const (
	ConsentTypeConsent  = "consent"
	ConsentTypeSeparate = "separate-consent"
)

// States of one purpose after the decision. Given, refused and withdrawn
// are states of a consent; necessary (kaiconn-receipt/3 only) says that the
// purpose rests on another legal basis, its necessity for the service
// (PIPL art. 13(1)(2)), so that there is nothing to give, refuse, withdraw
// or let expire. It is ISO/IEC TS 27560's legal basis of a processing that
// is not consent, written where v2 wrote a consent state.
const (
	StateGiven     = "given"
	StateRefused   = "refused"
	StateWithdrawn = "withdrawn"
	StateNecessary = "necessary"
)

// InEffect reports whether a purpose in state may be processed: consented
// to, or necessary for the service. Whoever turns a stored state back into
// "on" or "off" asks this, so that a necessary purpose is on without being
// counted as consented to.
func InEffect(state string) bool { return state == StateGiven || state == StateNecessary }

// TimeLayout is how New writes times: UTC with milliseconds. Readers accept
// any RFC 3339 time in UTC ("Z"), because the signature covers the string as
// the device wrote it.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Controller is the personal information handler that receives the consent.
type Controller struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Email   string `json:"email"`
}

// Kaiconn is the controller named in every receipt this product issues.
var Kaiconn = Controller{
	Name:    "深圳市每开创新科技有限公司 / Shenzhen Kaiconn Innovative Technology Co., Ltd.",
	Address: "深圳市南山区粤海街道高新南环路42号北邮科技大厦10楼1002",
	Email:   "privacy@kaiconn.com",
}

// Policy identifies the exact policy text the person was shown.
type Policy struct {
	Version string `json:"version"`
	SHA256  string `json:"sha256"` // lowercase hex SHA-256 of the text in the language shown
}

// Withdrawal tells the person how to take a consent back.
type Withdrawal struct {
	Text string `json:"text"`
	URL  string `json:"url"`
}

// Purpose is the state of one purpose of processing after the decision.
//
// It holds the members of both schemas; Receipt's JSON encoding writes those
// of the receipt's schema only, and check refuses a receipt that sets the
// other schema's. In kaiconn-receipt/2 a purpose is {id, state, expiresAt
// (only when given)}, its texts being in the receipt's notice; in
// kaiconn-receipt/1 it is {id, recipient, dataCategories, consentType,
// state, time, expiresAt, withdraw}.
type Purpose struct {
	ID             string
	Recipient      string     // v1: who receives the data, Kaiconn itself or a named SDK
	DataCategories []string   // v1
	ConsentType    string     // v1
	State          string     // given, refused, withdrawn or (v3) necessary
	Time           string     // v1: when this state was set, RFC 3339 UTC
	ExpiresAt      string     // RFC 3339 UTC; "" when nothing was given
	Withdraw       Withdrawal // v1
}

// Receipt is what the device signs: one decision of one pseudonymous subject.
//
// Like Purpose it holds the members of both schemas, and Schema says which
// apply: kaiconn-receipt/1 names the controller in full (Controller) and
// inlines every purpose's texts; kaiconn-receipt/2 names one notice
// (Notice), which lists the controller, withdrawal and purpose notices, and
// only it carries Confirmed.
type Receipt struct {
	Schema       string
	ID           string
	Subject      string
	Controller   Controller // v1
	Notice       string     // v2: hex SHA-256 of JCS of the shown notice
	Jurisdiction string
	Surface      string
	Language     string
	Policy       Policy
	Decision     string
	IssuedAt     string
	Confirmed    []string // v2: facts the person confirmed; nil when none
	Purposes     []Purpose
	PrevHash     string
}

// JWK is a device's public key as a JSON Web Key (RFC 7517), holding only the
// members that RFC 7638 thumbprints cover: kty, crv, x and, for EC keys, y.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y,omitempty"`
}

// Device is the device's signature over the canonical receipt.
type Device struct {
	Alg string `json:"alg"`
	JWK JWK    `json:"jwk"`
	Sig string `json:"sig"`
}

// Attestations: who vouches that the person made the decision.
const (
	// AttestationDevice is a receipt signed by the person's device key.
	AttestationDevice = "device"
	// AttestationServer is a receipt the server recorded itself from a
	// decision posted on a server-rendered form, before any script could
	// hold a device key. Only the server's countersignature vouches for it.
	AttestationServer = "server"
)

// Signed is the envelope of a receipt: the receipt and who attests it.
//
// # Receipt formats kaiconn-receipt/1, /2 and /3
//
// The envelope is a JSON object of one of two kinds. A device-signed
// envelope, the only kind anyone may post, has exactly three members:
//
//	{"attestation": "device", "receipt": {...}, "device": {"alg": ..., "jwk": {...}, "sig": ...}}
//
// A server-attested envelope, which only the server itself records from a
// plain HTML form post (the first-launch gate, the cookie banner without
// script), has exactly two, and no device member:
//
//	{"attestation": "server", "receipt": {...}}
//
// Every member listed below is required unless marked optional, no other
// member is allowed, no value may be null, an optional member is omitted
// rather than empty, and member names are case-sensitive. Readers reject a
// document that breaks any rule with a message naming the member, for
// example "receipt.purposes[2].state: must be given, refused or withdrawn".
// Members common to both schemas:
//
//   - attestation: "device" or "server".
//   - receipt.schema: "kaiconn-receipt/1", "kaiconn-receipt/2" or
//     "kaiconn-receipt/3"; it decides
//     which of the schema-specific members below the receipt has.
//   - receipt.id: a UUID version 4 in lowercase canonical form.
//   - receipt.subject: a pseudonymous subject id, "sub_" followed by 26
//     lowercase base32 characters (a-z, 2-7), or a lowercase UUID. It is never a
//     phone number, an email address or a name.
//   - receipt.jurisdiction: "CN".
//   - receipt.surface: "first-launch", "web-banner" or "settings".
//   - receipt.language: the language the policy was shown in, "zh-Hans" or "en".
//   - receipt.policy: {"version", "sha256"}: the policy version and the
//     lowercase hex SHA-256 of the exact policy text shown in that language.
//   - receipt.decision: "agreed", "declined", "updated" or "withdrawn".
//   - receipt.issuedAt: RFC 3339 time in UTC (ending in "Z").
//   - receipt.purposes: a non-empty array of purposes with distinct ids.
//   - receipt.prevHash: the hash (below) of this subject's previous receipt, ""
//     for the subject's first receipt.
//   - device (only and always when attestation is "device"):
//   - device.alg: "EdDSA" (Ed25519) or "ES256" (ECDSA P-256 with SHA-256).
//   - device.jwk: the public key, {"kty": "OKP", "crv": "Ed25519", "x"} for
//     EdDSA or {"kty": "EC", "crv": "P-256", "x", "y"} for ES256, base64url
//     without padding, and nothing else (no "ext", no "key_ops").
//   - device.sig: base64url (no padding) signature over the canonical bytes of
//     receipt. For ES256 it is the raw 64-byte r||s that WebCrypto produces,
//     not ASN.1 DER.
//
// kaiconn-receipt/1 inlines the texts:
//
//   - receipt.controller: {"name", "address", "email"}, the personal information
//     handler (Kaiconn, see the Kaiconn variable).
//   - receipt.purposes[i]: {"id", "recipient", "dataCategories" (non-empty
//     array of strings), "consentType" ("consent" or "separate-consent"),
//     "state" ("given", "refused" or "withdrawn"), "time" (RFC 3339 UTC),
//     "expiresAt" (RFC 3339 UTC, or "" when the state is not given),
//     "withdraw" {"text", "url": "/settings/privacy"}}.
//
// kaiconn-receipt/2 names them by one reference, the lowercase hex SHA-256
// of JCS of a notice document (package notice):
//
//   - receipt.notice: the shown notice of the surface's audience in the
//     receipt's language under its policy version, which lists, each by its
//     own reference, the controller notice, the withdrawal notice and the
//     notice of every purpose.
//   - receipt.confirmed (optional): a non-empty array of distinct fact ids
//     ("age-18") the person confirmed; omitted when none.
//   - receipt.purposes[i]: {"id", "state", "expiresAt" (RFC 3339 UTC, present
//     if and only if the state is given)}. A purpose's state is set at
//     issuedAt; there is no per-purpose time.
//
// kaiconn-receipt/3 has exactly the members of kaiconn-receipt/2; a
// purpose's state may also be "necessary" (without expiresAt), and is so
// for the processing a surface requires, which rests on its necessity for
// the service rather than on consent. A /2 or /1 receipt never says
// necessary; theirs say "given" for the same processing.
//
// Canonical bytes are the JSON Canonicalization Scheme (RFC 8785) of a value.
// A receipt's device signature covers JCS(receipt). The hash of a receipt,
// used in prevHash and as Record.Hash, is the lowercase hex SHA-256 of
// JCS(envelope): the envelope as above, attestation included, without the
// server countersignature. Record.Body holds JCS(envelope). A subject's chain
// may mix both kinds of attestation and both schemas: a first-launch decision
// taken before the app held a key is server-attested, later ones
// device-signed.
//
// The server countersignature is a JWS (RFC 7515) in compact serialisation,
// alg "EdDSA" (Ed25519, RFC 8037), whose protected header carries "kid", the
// RFC 7638 thumbprint of the server key, and whose payload is JCS(envelope).
// New countersignatures detach the payload (RFC 7515 Appendix F):
// "<protected>..<signature>", the payload being reattached from the envelope
// to verify, so the envelope is stored once. Countersignatures stored before
// carry the payload ("<protected>.<payload>.<signature>"); verifiers accept
// both. It covers the attestation member, so a server-attested receipt cannot
// be passed off as device-signed or the other way round. The server's public
// keys are published as a JWKS at /.well-known/jwks.json; keys are rotated
// but never withdrawn from it, so old countersignatures keep verifying.
type Signed struct {
	Attestation string  `json:"attestation"`
	Receipt     Receipt `json:"receipt"`
	// Device is the zero value, and absent from the JSON, in a
	// server-attested envelope.
	Device Device `json:"device,omitzero"`
}

// Attest returns the server-attested envelope of r, after checking r against
// the format. Only the server calls it, for a decision posted on a form; the
// caller countersigns the result like any other envelope.
func Attest(r *Receipt) (*Signed, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return &Signed{Attestation: AttestationServer, Receipt: *r}, nil
}

// Canonical returns JCS(envelope), the bytes that are hashed, stored and
// countersigned.
func (s *Signed) Canonical() ([]byte, error) { return s.appendJCS(make([]byte, 0, 1536)), nil }

// Hash returns the lowercase hex SHA-256 of JCS(envelope).
func (s *Signed) Hash() (string, error) {
	b, err := s.Canonical()
	if err != nil {
		return "", err
	}
	return HashBytes(b), nil
}

// Canonical returns JCS(receipt), the bytes the device signs.
func (r *Receipt) Canonical() ([]byte, error) { return r.appendJCS(make([]byte, 0, 1280)), nil }

// HashBytes returns the lowercase hex SHA-256 of canonical envelope bytes, as
// stored in Record.Body.
func HashBytes(canonicalEnvelope []byte) string {
	sum := sha256.Sum256(canonicalEnvelope)
	return hex.EncodeToString(sum[:])
}

// IssuedTime returns receipt.issuedAt as a time; the zero time when it does
// not parse, which Decode never lets through.
func (r *Receipt) IssuedTime() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, r.IssuedAt)
	return t
}

// SchemaVersion returns 1 for a kaiconn-receipt/1 receipt, 2 for a
// kaiconn-receipt/2 one, 3 for a kaiconn-receipt/3 one and 0 for anything
// else (which Decode never lets through).
func (r *Receipt) SchemaVersion() int {
	switch r.Schema {
	case SchemaV1:
		return 1
	case SchemaV2:
		return 2
	case SchemaV3:
		return 3
	}
	return 0
}

// States is what the store keeps of the receipt's purposes
// (Record.States): each purpose's id and its state. Every writer of a record
// takes it from here, so that a record says what its receipt says.
func (r *Receipt) States() map[string]string {
	m := make(map[string]string, len(r.Purposes))
	for _, p := range r.Purposes {
		m[p.ID] = p.State
	}
	return m
}

// NamesNotice reports whether the receipt names its texts by one notice
// (kaiconn-receipt/2 and /3) rather than inlining them (/1).
func (r *Receipt) NamesNotice() bool { return namesNotice(r.Schema) }

func namesNotice(schema string) bool { return schema == SchemaV2 || schema == SchemaV3 }

// PurposeParams is one purpose of a decision, in plain Go values. Recipient,
// DataCategories, ConsentType, Time and WithdrawText are for
// kaiconn-receipt/1 only.
type PurposeParams struct {
	ID             string
	Recipient      string
	DataCategories []string
	ConsentType    string
	State          string
	Time           time.Time
	ExpiresAt      time.Time // zero when the purpose is not given
	WithdrawText   string
}

// Params is a consent decision in plain Go values, so that the server's
// order to a device and tests can build a receipt without depending on the
// consent package.
type Params struct {
	// Schema is SchemaV3 (or SchemaV2) for the compact format; "" or
	// SchemaV1 builds kaiconn-receipt/1, which callers that predate v2
	// still produce.
	Schema        string
	ID            string // "" for a fresh UUID v4
	Subject       string
	Surface       string
	Language      string
	PolicyVersion string
	PolicySHA256  string
	Decision      string
	IssuedAt      time.Time
	Purposes      []PurposeParams
	PrevHash      string

	// kaiconn-receipt/2 only.
	Notice    string   // hex SHA-256 of the shown notice of Surface in Language
	Confirmed []string // facts the person confirmed; none is nil
}

// New builds a receipt from p, filling in the jurisdiction and, for
// kaiconn-receipt/1, the controller and withdrawal URL. It does not check p:
// Sign and Attest do.
func New(p Params) *Receipt {
	id := p.ID
	if id == "" {
		id = uuid.NewString()
	}
	schema := p.Schema
	if schema == "" {
		schema = SchemaV1
	}
	r := &Receipt{
		Schema:       schema,
		ID:           id,
		Subject:      p.Subject,
		Jurisdiction: Jurisdiction,
		Surface:      p.Surface,
		Language:     p.Language,
		Policy:       Policy{Version: p.PolicyVersion, SHA256: p.PolicySHA256},
		Decision:     p.Decision,
		IssuedAt:     FormatTime(p.IssuedAt),
		Purposes:     make([]Purpose, 0, len(p.Purposes)),
		PrevHash:     p.PrevHash,
	}
	v2 := namesNotice(schema)
	if v2 {
		r.Notice = p.Notice
		if len(p.Confirmed) > 0 {
			r.Confirmed = append([]string(nil), p.Confirmed...)
		}
	} else {
		r.Controller = Kaiconn
	}
	for _, pp := range p.Purposes {
		expires := ""
		if !pp.ExpiresAt.IsZero() {
			expires = FormatTime(pp.ExpiresAt)
		}
		if v2 {
			r.Purposes = append(r.Purposes, Purpose{ID: pp.ID, State: pp.State, ExpiresAt: expires})
			continue
		}
		cats := append([]string{}, pp.DataCategories...)
		r.Purposes = append(r.Purposes, Purpose{
			ID:             pp.ID,
			Recipient:      pp.Recipient,
			DataCategories: cats,
			ConsentType:    pp.ConsentType,
			State:          pp.State,
			Time:           FormatTime(pp.Time),
			ExpiresAt:      expires,
			Withdraw:       Withdrawal{Text: pp.WithdrawText, URL: WithdrawURL},
		})
	}
	return r
}

// FormatTime writes t the way receipts carry times: UTC, milliseconds.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// NewSubject returns a fresh pseudonymous subject id: "sub_" and 128 random
// bits in lowercase base32. It is random so that it can never be traced back
// to a phone number or an account.
func NewSubject() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails since Go 1.24.
	return "sub_" + subjectEncoding.EncodeToString(b[:])
}

var subjectEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
