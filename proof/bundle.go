package proof

import (
	"bytes"
	"crypto"
	_ "crypto/sha256" // registers SHA-256 for JWK thumbprints
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/gowebpki/jcs"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// BundleFormat names the bundle format; a reader refuses any other.
const BundleFormat = "kaiconn-proof-bundle/1"

// Bundle is the machine-readable proof of one subject's consent: the
// subject's whole chain as the store holds it, the server's public keys,
// and every text the receipts name by hash, sealed by the server.
//
// It is written in its RFC 8785 canonical form, one line, and read only in
// that form: a reader re-canonicalises the file and refuses it unless the
// bytes are the same, so no byte can change without changing the content;
// the seal then covers the content. Texts are checked by the hashes the
// receipts name, keys by their RFC 7638 thumbprints, receipts by their
// signatures: nothing in a bundle is taken on trust but the keys, which a
// careful reader compares with the keys the server publishes.
type Bundle struct {
	Format    string `json:"format"`    // BundleFormat
	Subject   string `json:"subject"`   // the pseudonymous subject
	CreatedAt string `json:"createdAt"` // RFC 3339, UTC
	// JWKS is the server's JSON Web Key Set when the bundle was made.
	JWKS json.RawMessage `json:"jwks"`
	// Receipts is the chain, oldest first, as GET
	// /api/v1/subjects/{subject}/receipts returns it.
	Receipts []receipt.Countersigned `json:"receipts"`
	// Policies holds each policy text a receipt names, by
	// "<version>/<language>.md".
	Policies map[string]string `json:"policies"`
	// Notices holds each notice a receipt names, directly or through its
	// shown notice, by reference, in canonical form.
	Notices map[string]json.RawMessage `json:"notices"`
	// Seal is the server's detached JWS over the canonical form of every
	// other member: who made the bundle, and that it is whole.
	Seal string `json:"seal"`
}

// Sealer countersigns bytes; *receipt.Keyring is one.
type Sealer interface {
	Countersign(payload []byte) (jws, kid string, err error)
}

// Build makes the bundle of a subject's chain h: it gathers from src every
// text the receipts name, seals the whole with sealer and returns the
// bundle's canonical bytes. It bundles what the store holds even when a
// receipt fails a check: a bundle proves what there is, and the reader's
// verification says what holds.
func Build(h receipt.History, jwks []byte, src Sources, sealer Sealer, now time.Time) ([]byte, error) {
	if len(h.Receipts) == 0 {
		return nil, errs.New(errs.NotFound, "subject: no receipt")
	}
	b := Bundle{
		Format:    BundleFormat,
		Subject:   h.Subject,
		CreatedAt: receipt.FormatTime(now),
		JWKS:      json.RawMessage(jwks),
		Receipts:  h.Receipts,
		Policies:  map[string]string{},
		Notices:   map[string]json.RawMessage{},
	}
	for _, c := range h.Receipts {
		s, err := receipt.Decode(c.Envelope)
		if err != nil {
			continue
		}
		r := &s.Receipt
		if b.Subject == "" {
			b.Subject = r.Subject
		}
		file := PolicyFile(r.Policy.Version, r.Language)
		if text, err := fs.ReadFile(src.Policy, file); err == nil {
			b.Policies[file] = string(text)
		}
		t, err := src.CheckNotices(r)
		if err != nil && r.Notice != "" {
			// Bundle what the sources hold of a notice that fails: the
			// reader then sees the same failure, with the same text.
			t.Shown, _ = src.Notices.Shown(r.Notice)
		}
		for _, ref := range append(t.NoticeRefs(r), r.Notice, t.Shown.Controller, t.Shown.Withdrawal) {
			if ref == "" {
				continue
			}
			if canon, err := src.Notices.Lookup(ref); err == nil {
				b.Notices[ref] = canon
			}
		}
		for _, sp := range t.Shown.Purposes {
			if canon, err := src.Notices.Lookup(sp.Notice); err == nil {
				b.Notices[sp.Notice] = canon
			}
		}
	}
	unsealed, err := canonical(b)
	if err != nil {
		return nil, err
	}
	b.Seal, _, err = sealer.Countersign(unsealed)
	if err != nil {
		return nil, err
	}
	return canonical(b)
}

// canonical is the RFC 8785 form of b, without its seal when it has none.
func canonical(b Bundle) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		return nil, err
	}
	if b.Seal == "" {
		delete(m, "seal")
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return jcs.Transform(raw)
}

// Verified is what Verify found: the bundle, each receipt verified in
// place, and the keys it trusted.
type Verified struct {
	Bundle Bundle
	Report Report
	// SealKeyID is the key that sealed the bundle.
	SealKeyID string
	// Texts counts the text hashes checked against the bundle's texts.
	Texts int
	// KeyIDs are the keys of the JWKS the bundle was verified with.
	KeyIDs []string
	// Pinned tells whether the bundle's keys were checked against keys
	// from outside it (Trust). When false, everything was checked against
	// the bundle's own keys, which anyone can replace with their own and
	// re-seal: the bundle then proves nothing about who countersigned it.
	Pinned bool
}

// Trust is what a bundle's keys are checked against, from outside the
// bundle: a bundle must never vouch for itself.
type Trust struct {
	// JWKS is the key set the server publishes (/.well-known/jwks.json),
	// fetched by the reader: every key of the bundle must be in it, and
	// it is what the receipts and the seal are verified with.
	JWKS []byte
	// KeyIDs are key ids (RFC 7638 SHA-256 thumbprints, a key's kid) the
	// reader holds from the operator's records: every key of the bundle
	// must be one of them.
	KeyIDs []string
}

// Verify checks a bundle as VerifyTrusting does, trusting keys (the JWKS
// the server publishes) when not nil.
func Verify(data []byte, keys []byte) (*Verified, error) {
	return VerifyTrusting(data, Trust{JWKS: keys})
}

// VerifyTrusting checks a bundle offline: that it is in its canonical form
// (so that no byte changed), well formed, sealed by a key of the JWKS, and
// that its chain verifies receipt by receipt (device signatures,
// countersignatures, links) with every text hash matching the texts it
// carries. With trust.JWKS (the JWKS the server publishes, fetched on its
// own) the bundle's keys must be among them, and they are what is
// trusted; with trust.KeyIDs, every key of the bundle must be one of
// them. With neither, the bundle's own keys are used and Verified.Pinned
// is false: the caller must not call that verified.
func VerifyTrusting(data []byte, trust Trust) (*Verified, error) {
	keys := trust.JWKS
	if !json.Valid(data) {
		return nil, errs.New(errs.Invalid, "bundle: not valid JSON")
	}
	canon, err := jcs.Transform(data)
	if err != nil || !bytes.Equal(canon, data) {
		return nil, errs.New(errs.Invalid, "bundle: not in the canonical form (RFC 8785) it is written in: a byte was altered, or the file was re-encoded")
	}
	var b Bundle
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, errs.New(errs.Invalid, "bundle: not a proof bundle: %v", err)
	}
	switch {
	case b.Format != BundleFormat:
		return nil, errs.New(errs.Invalid, "format: %q, not %q", b.Format, BundleFormat)
	case b.Seal == "":
		return nil, errs.New(errs.Invalid, "seal: missing")
	case len(b.Receipts) == 0:
		return nil, errs.New(errs.Invalid, "receipts: empty chain")
	}
	if _, err := time.Parse(time.RFC3339, b.CreatedAt); err != nil {
		return nil, errs.New(errs.Invalid, "createdAt: not an RFC 3339 time")
	}
	own, err := keyIDs(b.JWKS, "jwks")
	if err != nil {
		return nil, err
	}
	trusted := []byte(b.JWKS)
	v := &Verified{Bundle: b, KeyIDs: own}
	if keys != nil {
		given, err := keyIDs(keys, "-jwks")
		if err != nil {
			return nil, err
		}
		for _, kid := range own {
			if !slices.Contains(given, kid) {
				return nil, errs.New(errs.Unprocessable, "jwks: the bundle's key %s is not among the keys given", kid)
			}
		}
		trusted, v.KeyIDs, v.Pinned = keys, given, true
	}
	if trust.KeyIDs != nil {
		for _, kid := range own {
			if !slices.Contains(trust.KeyIDs, kid) {
				return nil, errs.New(errs.Unprocessable, "jwks: the bundle's key %s is not among the key ids given", kid)
			}
		}
		v.Pinned = true
	}

	unsealed, err := canonical(Bundle{Format: b.Format, Subject: b.Subject, CreatedAt: b.CreatedAt, JWKS: b.JWKS,
		Receipts: b.Receipts, Policies: b.Policies, Notices: b.Notices})
	if err != nil {
		return nil, errs.New(errs.Invalid, "bundle: %v", err)
	}
	if v.SealKeyID, err = receipt.VerifyCountersignature(unsealed, b.Seal, trusted); err != nil {
		msg := strings.TrimPrefix(errs.Message(err), "countersignature: ")
		msg = strings.Replace(msg, "this envelope", "this bundle", 1)
		return nil, errs.New(errs.Code(err), "seal: %s", msg)
	}

	h := receipt.History{Subject: b.Subject, Receipts: b.Receipts}
	if err := receipt.VerifyChain(h, trusted); err != nil {
		return nil, err
	}
	src, err := bundleSources(b)
	if err != nil {
		return nil, err
	}
	v.Report = Inspect(h, trusted, src)
	if err := v.Report.Err(); err != nil {
		return nil, err
	}
	for _, it := range v.Report.Items {
		v.Texts += it.Texts.Checked
	}
	return v, nil
}

// bundleSources serves the bundle's texts as Sources. Notices are checked
// by the registry against their references when read; policy texts by the
// hash each receipt names.
func bundleSources(b Bundle) (Sources, error) {
	policies, notes := fstest.MapFS{}, fstest.MapFS{}
	for file, text := range b.Policies {
		if !fs.ValidPath(file) || strings.Count(file, "/") != 1 || !strings.HasSuffix(file, ".md") {
			return Sources{}, errs.New(errs.Invalid, "policies: %q is not <version>/<language>.md", file)
		}
		policies[file] = &fstest.MapFile{Data: []byte(text)}
	}
	for ref, raw := range b.Notices {
		if _, err := notice.NewRegistry(fstest.MapFS{ref + ".json": {Data: raw}}).Lookup(ref); err != nil {
			return Sources{}, errs.New(errs.Unprocessable, "notices: %s", errs.Message(err))
		}
		notes[ref+".json"] = &fstest.MapFile{Data: raw}
	}
	return Sources{Policy: policies, Notices: notice.NewRegistry(notes)}, nil
}

// keyIDs reads a JWKS and checks that each key's kid is its RFC 7638
// thumbprint, the id countersignatures name it by.
func keyIDs(jwks []byte, member string) ([]string, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil || len(set.Keys) == 0 {
		return nil, errs.New(errs.Invalid, "%s: not a JSON Web Key Set with keys", member)
	}
	var ids []string
	for i, k := range set.Keys {
		if !k.IsPublic() {
			return nil, errs.New(errs.Invalid, "%s: key %d is not a public key", member, i)
		}
		raw, err := k.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, errs.New(errs.Invalid, "%s: key %d: %v", member, i, err)
		}
		if want := base64.RawURLEncoding.EncodeToString(raw); k.KeyID != want {
			return nil, errs.New(errs.Unprocessable, "%s: key %d: kid %q is not the key's thumbprint %s", member, i, k.KeyID, want)
		}
		ids = append(ids, k.KeyID)
	}
	sort.Strings(ids)
	return ids, nil
}

// Name is the file name a bundle of subject is downloaded as, without its
// extension.
func Name(subject string, at time.Time) string {
	return fmt.Sprintf("kaiconn-proof-%s-%s", subject, at.UTC().Format("20060102T150405Z"))
}
