package notice

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"regexp"
	"strings"

	"github.com/gowebpki/jcs"

	"github.com/kaiconn/consent/errs"
)

// Registry reads notices from a file system holding one file per notice,
// "<reference>.json", as locales/notices does. A file may be pretty-printed:
// its reference is the hash of its canonical form, and every read checks
// that the file's name is that hash, so a registry edited by hand cannot
// vouch for a text that no receipt was given under.
type Registry struct {
	fsys fs.FS
}

// NewRegistry returns the registry held in fsys.
func NewRegistry(fsys fs.FS) *Registry { return &Registry{fsys: fsys} }

var refPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Lookup returns the canonical bytes of the notice ref. It fails with
// errs.Invalid when ref is not a reference, errs.NotFound when the registry
// has no such notice and errs.Unprocessable when the file there is not the
// notice ref names.
func (r *Registry) Lookup(ref string) ([]byte, error) {
	if !refPattern.MatchString(ref) {
		return nil, errs.New(errs.Invalid, "notice %q: not a reference (64 lowercase hex digits)", ref)
	}
	b, err := fs.ReadFile(r.fsys, ref+".json")
	if err != nil {
		return nil, errs.New(errs.NotFound, "notice %s: not in the registry", ref)
	}
	canon, err := jcs.Transform(b)
	if err != nil {
		return nil, errs.New(errs.Unprocessable, "notice %s: the registry file is not valid JSON", ref)
	}
	if HashBytes(canon) != ref {
		return nil, errs.New(errs.Unprocessable, "notice %s: the registry file's content has another hash (%s)", ref, HashBytes(canon))
	}
	return canon, nil
}

// Shown returns the shown notice ref. It checks the notice's own form, not
// the notices it lists: their references are looked up on their own, each
// by the reader of its kind.
func (r *Registry) Shown(ref string) (Shown, error) {
	var n Shown
	return n, r.read(ref, KindShown, &n)
}

// Purpose returns the purpose notice ref.
func (r *Registry) Purpose(ref string) (Purpose, error) {
	var n Purpose
	return n, r.read(ref, KindPurpose, &n)
}

// Withdrawal returns the withdrawal notice ref.
func (r *Registry) Withdrawal(ref string) (Withdrawal, error) {
	var n Withdrawal
	return n, r.read(ref, KindWithdrawal, &n)
}

// Controller returns the controller notice ref.
func (r *Registry) Controller(ref string) (Controller, error) {
	var n Controller
	return n, r.read(ref, KindController, &n)
}

// read looks ref up and decodes it into n, refusing a notice of another
// kind: a receipt that names, say, a purpose notice where the shown notice
// belongs does not say what the person was shown.
func (r *Registry) read(ref, kind string, n Notice) error {
	canon, err := r.Lookup(ref)
	if err != nil {
		return err
	}
	var head struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(canon, &head); err != nil || head.Kind != kind {
		return errs.New(errs.Unprocessable, "notice %s: is a %q notice, not a %s notice", ref, head.Kind, kind)
	}
	dec := json.NewDecoder(bytes.NewReader(canon))
	dec.DisallowUnknownFields()
	if err := dec.Decode(n); err != nil {
		return errs.New(errs.Unprocessable, "notice %s: not a %s notice: %v", ref, kind, err)
	}
	return nil
}

// Refs lists the references of the notices in the registry, in order.
// Files not ending in ".json" (the package's Go file, a README) are not
// notices and are skipped; a ".json" file not named "<reference>.json" is an
// error, since nothing could ever look it up.
func (r *Registry) Refs() ([]string, error) {
	entries, err := fs.ReadDir(r.fsys, ".")
	if err != nil {
		return nil, err
	}
	var refs []string
	for _, e := range entries {
		ref, ok := strings.CutSuffix(e.Name(), ".json")
		if e.IsDir() || !ok {
			continue
		}
		if !refPattern.MatchString(ref) {
			return nil, errs.New(errs.Invalid, "registry: %s is not named <64 lowercase hex digits>.json", e.Name())
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// Check reads every notice of the registry and fails on the first file
// whose name is not the hash of its content or that is no notice of a known
// kind.
func (r *Registry) Check() error {
	refs, err := r.Refs()
	if err != nil {
		return err
	}
	for _, ref := range refs {
		canon, err := r.Lookup(ref)
		if err != nil {
			return err
		}
		var head struct {
			Kind string `json:"kind"`
		}
		_ = json.Unmarshal(canon, &head)
		switch head.Kind {
		case KindShown:
			_, err = r.Shown(ref)
		case KindPurpose:
			_, err = r.Purpose(ref)
		case KindWithdrawal:
			_, err = r.Withdrawal(ref)
		case KindController:
			_, err = r.Controller(ref)
		default:
			err = errs.New(errs.Unprocessable, "notice %s: unknown kind %q", ref, head.Kind)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
