package receipt

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/gowebpki/jcs"

	"github.com/kaiconn/consent/errs"
)

// Decode reads an envelope, device-signed or server-attested, strictly: unknown, missing, null or
// mistyped members, duplicate member names and values outside the format are
// refused with code errs.Invalid and a message naming the member. It checks
// the form of the device key and signature but not the signature itself: see
// Signed.VerifyDevice and Validator.
func Decode(data []byte) (*Signed, error) {
	s, _, err := DecodeCanonical(data)
	return s, err
}

// DecodeCanonical is Decode that also returns JCS(envelope), the bytes the
// server hashes, stores and countersigns: Decode computes them anyway, and
// canonicalising is the costliest step of taking a receipt in.
func DecodeCanonical(data []byte) (*Signed, []byte, error) {
	if s, canon, ok := decodeFast(data); ok {
		return s, canon, nil
	}
	return decodeStrict(data)
}

// decodeFast is the path of a well-formed envelope: it fills the wire type
// directly and applies the value rules, then accepts the envelope only if
// its canonical encoding is JCS(data) (or data itself, when the device sent
// canonical bytes, as the outbox does). Whatever it accepts, decodeStrict
// accepts too, with the same result: the encoding writes every member of
// the wire type and nothing else, each with its type, never null (but a nil
// array, which check refuses), and an optional member only when it is not
// empty, so an envelope that encodes back to its own canonical bytes has no
// unknown, missing, mis-cased, null, mistyped or empty optional member, and
// JCS has refused duplicate names. Everything else (ok false) goes through
// decodeStrict, which names the member at fault; so the answers, error
// messages included, are those of decodeStrict alone, at a fraction of the
// cost for the envelopes that are accepted.
func decodeFast(data []byte) (*Signed, []byte, bool) {
	var s Signed
	// A guess that only picks the wire type to try: a wrong one cannot
	// encode back to data's canonical bytes.
	if bytes.Contains(data, []byte(`"`+SchemaV2+`"`)) || bytes.Contains(data, []byte(`"`+SchemaV3+`"`)) {
		var w envelopeV2
		if json.Unmarshal(data, &w) != nil {
			return nil, nil, false
		}
		s = Signed{Attestation: w.Attestation, Receipt: w.Receipt.receipt(), Device: w.Device}
	} else {
		var w envelopeV1
		if json.Unmarshal(data, &w) != nil {
			return nil, nil, false
		}
		s = Signed{Attestation: w.Attestation, Receipt: w.Receipt.receipt(), Device: w.Device}
	}
	if s.check() != nil {
		return nil, nil, false
	}
	again, _ := s.Canonical()
	if bytes.Equal(again, data) {
		// data is the canonical encoding of the value it parses to, so
		// JCS(data) is data.
		return &s, again, true
	}
	canon, err := jcs.Transform(data)
	if err != nil || !bytes.Equal(again, canon) {
		return nil, nil, false
	}
	return &s, again, true
}

// decodeStrict checks data member by member against the wire types and
// names the first member at fault.
func decodeStrict(data []byte) (*Signed, []byte, error) {
	// JCS refuses duplicate member names, which encoding/json would silently
	// resolve to the last one: a signer and a verifier could then disagree.
	// It also refuses what is not JSON at all; only then is the body parsed
	// a second time, to say which of the two it is.
	canon, err := jcs.Transform(data)
	if err != nil {
		if !json.Valid(data) {
			return nil, nil, errs.New(errs.Invalid, "body: not valid JSON")
		}
		return nil, nil, errs.New(errs.Invalid, "body: cannot be canonicalised (RFC 8785): %s", jcsReason(err))
	}
	var tree any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, nil, errs.New(errs.Invalid, "body: not valid JSON")
	}
	// The schema the receipt names decides the members it must have; a
	// document that names no known schema is held to kaiconn-receipt/1 so
	// that its first wrong member is named, and check names the schema.
	var s Signed
	if namesNotice(schemaOf(tree)) {
		var w envelopeV2
		if err := decodeShape(data, tree, &w); err != nil {
			return nil, nil, err
		}
		s = Signed{Attestation: w.Attestation, Receipt: w.Receipt.receipt(), Device: w.Device}
	} else {
		var w envelopeV1
		if err := decodeShape(data, tree, &w); err != nil {
			return nil, nil, err
		}
		s = Signed{Attestation: w.Attestation, Receipt: w.Receipt.receipt(), Device: w.Device}
	}
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	// Whatever survives the checks must re-encode to the very value that was
	// sent, or the signature and the hash would cover different bytes than
	// the ones we store (invalid UTF-8 is one way to get here).
	again, err := s.Canonical()
	if err != nil || !bytes.Equal(again, canon) {
		return nil, nil, errs.New(errs.Invalid, "body: does not survive a decode-encode round trip (invalid UTF-8?)")
	}
	return &s, canon, nil
}

// schemaOf returns receipt.schema of a decoded JSON tree, "" when it has none.
func schemaOf(tree any) string {
	env, _ := tree.(map[string]any)
	r, _ := env["receipt"].(map[string]any)
	schema, _ := r["schema"].(string)
	return schema
}

// decodeShape checks tree against the type of v, then fills v from data.
func decodeShape[T any](data []byte, tree any, v *T) error {
	if err := checkShape("", tree, reflect.TypeFor[T]()); err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return errs.New(errs.Invalid, "body: %v", err)
	}
	return nil
}

func jcsReason(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "Duplicate key") {
		return "duplicate member name"
	}
	return "unsupported JSON"
}

// checkShape walks a decoded JSON tree against the Go type it must fill and
// names the first member that is unknown, missing, null or of the wrong type.
// encoding/json alone would match names case-insensitively, accept nulls and
// leave missing members empty.
func checkShape(path string, v any, t reflect.Type) error {
	if v == nil {
		return errs.New(errs.Invalid, "%s: must not be null", orBody(path))
	}
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return errs.New(errs.Invalid, "%s: must be a string", orBody(path))
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			return errs.New(errs.Invalid, "%s: must be an array", orBody(path))
		}
		for i, e := range arr {
			if err := checkShape(fmt.Sprintf("%s[%d]", path, i), e, t.Elem()); err != nil {
				return err
			}
		}
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return errs.New(errs.Invalid, "%s: must be an object", orBody(path))
		}
		known := map[string]reflect.StructField{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			known[name] = f
			optional := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			v, present := obj[name]
			if !present && !optional {
				return errs.New(errs.Invalid, "%s: missing", join(path, name))
			}
			// An optional member has one spelling when there is nothing
			// to say: its absence. An empty one would not survive the
			// round trip to canonical bytes.
			if present && optional && isEmpty(v) {
				return errs.New(errs.Invalid, "%s: omit the member rather than leave it empty", join(path, name))
			}
		}
		names := make([]string, 0, len(obj))
		for name := range obj {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			f, ok := known[name]
			if !ok {
				return errs.New(errs.Invalid, "%s: unknown member", join(path, name))
			}
			if err := checkShape(join(path, name), obj[name], f.Type); err != nil {
				return err
			}
		}
	default:
		panic("receipt: checkShape cannot handle " + t.String())
	}
	return nil
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	}
	return false
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func orBody(path string) string {
	if path == "" {
		return "body"
	}
	return path
}

func invalid(field, format string, args ...any) error {
	return errs.New(errs.Invalid, "%s: %s", field, fmt.Sprintf(format, args...))
}

// check applies the value rules of the format to a decoded envelope.
func (s *Signed) check() error {
	switch s.Attestation {
	case AttestationDevice, AttestationServer:
	default:
		return invalid("attestation", "must be device or server")
	}
	if err := s.Receipt.check(); err != nil {
		return err
	}
	if s.Attestation == AttestationServer {
		if s.Device != (Device{}) {
			return invalid("device", "must be absent when the attestation is server")
		}
		return nil
	}
	if s.Device == (Device{}) {
		return invalid("device", "missing: a device-attested receipt carries the device signature")
	}
	return s.Device.check()
}

func (r *Receipt) check() error {
	if r.Schema != SchemaV1 && !namesNotice(r.Schema) {
		return invalid("receipt.schema", "must be %q, %q or %q", SchemaV1, SchemaV2, SchemaV3)
	}
	v2 := namesNotice(r.Schema)
	if err := r.checkForeign(); err != nil {
		return err
	}
	if err := checkUUIDv4(r.ID); err != nil {
		return invalid("receipt.id", "%s", err)
	}
	if err := CheckSubject(r.Subject); err != nil {
		return err
	}
	if v2 {
		if !isHash(r.Notice) {
			return invalid("receipt.notice", "must be 64 lowercase hex digits, the hash of the notice of what the surface showed")
		}
	} else {
		for _, f := range []struct{ field, value string }{
			{"receipt.controller.name", r.Controller.Name},
			{"receipt.controller.address", r.Controller.Address},
			{"receipt.controller.email", r.Controller.Email},
		} {
			if strings.TrimSpace(f.value) == "" {
				return invalid(f.field, "must not be empty")
			}
		}
	}
	if r.Jurisdiction != Jurisdiction {
		return invalid("receipt.jurisdiction", "must be %q", Jurisdiction)
	}
	if !oneOf(r.Surface, SurfaceFirstLaunch, SurfaceWebBanner, SurfaceSettings) {
		return invalid("receipt.surface", "must be first-launch, web-banner or settings")
	}
	if !oneOf(r.Language, LangZhHans, LangEn) {
		return invalid("receipt.language", "must be zh-Hans or en")
	}
	if strings.TrimSpace(r.Policy.Version) == "" {
		return invalid("receipt.policy.version", "must not be empty")
	}
	if !isHash(r.Policy.SHA256) {
		return invalid("receipt.policy.sha256", "must be 64 lowercase hex digits")
	}
	if !oneOf(r.Decision, DecisionAgreed, DecisionDeclined, DecisionUpdated, DecisionWithdrawn) {
		return invalid("receipt.decision", "must be agreed, declined, updated or withdrawn")
	}
	if err := checkTime(r.IssuedAt); err != nil {
		return invalid("receipt.issuedAt", "%s", err)
	}
	if err := checkConfirmed(r.Confirmed); err != nil {
		return err
	}
	if len(r.Purposes) == 0 {
		return invalid("receipt.purposes", "must list at least one purpose")
	}
	seen := map[string]bool{}
	for i, p := range r.Purposes {
		at := fmt.Sprintf("receipt.purposes[%d]", i)
		var err error
		switch r.Schema {
		case SchemaV1:
			err = p.checkV1(at)
		case SchemaV2:
			err = p.checkV2(at, false)
		default:
			err = p.checkV2(at, true)
		}
		if err != nil {
			return err
		}
		if seen[p.ID] {
			return invalid(at+".id", "purpose %q is listed twice", p.ID)
		}
		seen[p.ID] = true
	}
	if r.PrevHash != "" && !isHash(r.PrevHash) {
		return invalid("receipt.prevHash", "must be \"\" or 64 lowercase hex digits")
	}
	return nil
}

// checkForeign refuses a receipt built in Go that sets members of the other
// schema: its JSON would silently drop them, and what the caller meant to
// sign would not be what is signed. Decode never produces one.
func (r *Receipt) checkForeign() error {
	foreign := func(member string) error {
		return invalid(member, "is not a member of %s", r.Schema)
	}
	if r.NamesNotice() {
		if r.Controller != (Controller{}) {
			return foreign("receipt.controller")
		}
		for i, p := range r.Purposes {
			for _, m := range []struct {
				name string
				set  bool
			}{
				{"recipient", p.Recipient != ""},
				{"dataCategories", p.DataCategories != nil},
				{"consentType", p.ConsentType != ""},
				{"time", p.Time != ""},
				{"withdraw", p.Withdraw != (Withdrawal{})},
			} {
				if m.set {
					return foreign(fmt.Sprintf("receipt.purposes[%d].%s", i, m.name))
				}
			}
		}
		return nil
	}
	switch {
	case r.Notice != "":
		return foreign("receipt.notice")
	case r.Confirmed != nil:
		return foreign("receipt.confirmed")
	}
	return nil
}

// factPattern is the form of a confirmed fact's id, like a purpose id.
var factPattern = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

func checkConfirmed(facts []string) error {
	if facts == nil {
		return nil
	}
	if len(facts) == 0 {
		return invalid("receipt.confirmed", "omit the member rather than leave it empty")
	}
	for i, f := range facts {
		if !factPattern.MatchString(f) {
			return invalid(fmt.Sprintf("receipt.confirmed[%d]", i), "must be a fact id: lowercase letters, digits and dashes")
		}
		if slices.Contains(facts[:i], f) {
			return invalid(fmt.Sprintf("receipt.confirmed[%d]", i), "fact %q is listed twice", f)
		}
	}
	return nil
}

func (p *Purpose) checkV1(at string) error {
	if strings.TrimSpace(p.ID) == "" {
		return invalid(at+".id", "must not be empty")
	}
	if strings.TrimSpace(p.Recipient) == "" {
		return invalid(at+".recipient", "must not be empty")
	}
	if len(p.DataCategories) == 0 {
		return invalid(at+".dataCategories", "must list at least one category")
	}
	for j, c := range p.DataCategories {
		if strings.TrimSpace(c) == "" {
			return invalid(fmt.Sprintf("%s.dataCategories[%d]", at, j), "must not be empty")
		}
	}
	if !oneOf(p.ConsentType, ConsentTypeConsent, ConsentTypeSeparate) {
		return invalid(at+".consentType", "must be consent or separate-consent")
	}
	if !oneOf(p.State, StateGiven, StateRefused, StateWithdrawn) {
		return invalid(at+".state", "must be given, refused or withdrawn")
	}
	if err := checkTime(p.Time); err != nil {
		return invalid(at+".time", "%s", err)
	}
	switch {
	case p.ExpiresAt == "" && p.State == StateGiven:
		return invalid(at+".expiresAt", "must be set when the state is given")
	case p.ExpiresAt != "":
		if err := checkTime(p.ExpiresAt); err != nil {
			return invalid(at+".expiresAt", "%s", err)
		}
	}
	if strings.TrimSpace(p.Withdraw.Text) == "" {
		return invalid(at+".withdraw.text", "must not be empty")
	}
	if p.Withdraw.URL != WithdrawURL {
		return invalid(at+".withdraw.url", "must be %q", WithdrawURL)
	}
	return nil
}

// checkV2 checks a purpose of kaiconn-receipt/2 or, when necessary is
// true, of kaiconn-receipt/3, which alone knows the state necessary.
func (p *Purpose) checkV2(at string, necessary bool) error {
	if strings.TrimSpace(p.ID) == "" {
		return invalid(at+".id", "must not be empty")
	}
	switch {
	case necessary && !oneOf(p.State, StateGiven, StateRefused, StateWithdrawn, StateNecessary):
		return invalid(at+".state", "must be given, refused, withdrawn or necessary")
	case !necessary && !oneOf(p.State, StateGiven, StateRefused, StateWithdrawn):
		return invalid(at+".state", "must be given, refused or withdrawn")
	}
	switch {
	case p.State == StateGiven && p.ExpiresAt == "":
		return invalid(at+".expiresAt", "must be set when the state is given")
	case p.State != StateGiven && p.ExpiresAt != "":
		return invalid(at+".expiresAt", "must be absent: only a given purpose has an expiry")
	case p.ExpiresAt != "":
		if err := checkTime(p.ExpiresAt); err != nil {
			return invalid(at+".expiresAt", "%s", err)
		}
	}
	return nil
}

func (d *Device) check() error {
	switch d.Alg {
	case AlgEdDSA, AlgES256:
	default:
		return invalid("device.alg", "must be EdDSA or ES256")
	}
	if err := d.JWK.checkDeviceKey(d.Alg, "device.jwk"); err != nil {
		return err
	}
	sig, err := b64.DecodeString(d.Sig)
	if err != nil {
		return invalid("device.sig", "must be base64url without padding")
	}
	if len(sig) != 64 {
		return invalid("device.sig", "must be 64 bytes (raw r||s for ES256), got %d", len(sig))
	}
	return nil
}

// b64 is base64url without padding; strict, so that each key and signature has
// exactly one spelling and thumbprints of equal keys are equal.
var b64 = base64.RawURLEncoding.Strict()

var (
	subjectPattern = regexp.MustCompile(`^sub_[a-z2-7]{26}$`)
	phoneLike      = regexp.MustCompile(`^\+?[0-9][0-9 ().-]{5,}$`)
)

// CheckSubject tells whether s has the shape of a pseudonymous subject id:
// "sub_" and 26 lowercase base32 characters, or a lowercase UUID. A phone
// number or an email address is refused with a message that says why.
func CheckSubject(s string) error {
	if subjectPattern.MatchString(s) {
		return nil
	}
	if len(s) == 36 && s == strings.ToLower(s) {
		if _, err := uuid.Parse(s); err == nil {
			return nil
		}
	}
	if strings.Contains(s, "@") || phoneLike.MatchString(s) {
		return invalid("receipt.subject", "must be a pseudonymous id, never a phone number or email address")
	}
	return invalid("receipt.subject", "must be \"sub_\" and 26 lowercase base32 characters, or a UUID")
}

func checkUUIDv4(s string) error {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 || s != strings.ToLower(s) {
		return fmt.Errorf("must be a UUID in lowercase canonical form")
	}
	if u.Version() != 4 || u.Variant() != uuid.RFC4122 {
		return fmt.Errorf("must be a version 4 UUID")
	}
	return nil
}

func checkTime(s string) error {
	if !strings.HasSuffix(s, "Z") {
		return fmt.Errorf("must be an RFC 3339 time in UTC (ending in Z)")
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
		return fmt.Errorf("must be an RFC 3339 time in UTC (ending in Z)")
	}
	return nil
}

func isHash(s string) bool {
	if len(s) != 64 || s != strings.ToLower(s) {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func oneOf(s string, allowed ...string) bool { return slices.Contains(allowed, s) }
