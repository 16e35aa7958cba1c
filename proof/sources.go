package proof

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/notices"
	policydata "github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

// Sources are the versioned texts receipts refer to.
type Sources struct {
	Policy  fs.FS // <version>/<lang>.md
	Notices *notice.Registry
}

// Embedded returns the texts built into the program (locales/policy and
// locales/notices).
func Embedded() Sources {
	return Sources{Policy: policydata.FS, Notices: notice.NewRegistry(notices.FS)}
}

// OpenDir returns the texts under dir, laid out like locales/:
// dir/policy/<version>/<lang>.md and dir/notices/<hash>.json.
func OpenDir(dir string) (Sources, error) {
	for _, sub := range []string{"policy", "notices"} {
		if info, err := os.Stat(dir + "/" + sub); err != nil || !info.IsDir() {
			return Sources{}, fmt.Errorf("-sources %s: no %s directory: the sources are laid out like locales/ (policy/<version>/<lang>.md, notices/<hash>.json)", dir, sub)
		}
	}
	root := os.DirFS(dir)
	policy, _ := fs.Sub(root, "policy")
	notes, _ := fs.Sub(root, "notices")
	return Sources{Policy: policy, Notices: notice.NewRegistry(notes)}, nil
}

// PolicyFile is where Sources keep the policy text a receipt names.
func PolicyFile(version, lang string) string { return path.Join(version, lang+".md") }

// Texts is what a receipt says with its texts reconstructed: inline for
// kaiconn-receipt/1, from the notices for kaiconn-receipt/2.
type Texts struct {
	// Checked counts the hashes checked against the sources.
	Checked int
	// PolicyFile is "policy/<version>/<lang>.md"; "" when the sources lack
	// the policy text (allowed for kaiconn-receipt/1 only).
	PolicyFile string
	// PolicyText is that file's content, nil when it is missing.
	PolicyText []byte
	// Shown is the shown notice (kaiconn-receipt/2 only).
	Shown      notice.Shown
	Controller receipt.Controller
	// Withdrawal is how consent is withdrawn (kaiconn-receipt/2 only).
	Withdrawal notice.Withdrawal
	Purposes   []PurposeText
}

// PurposeText is one purpose of a receipt with the notice it was given
// under.
type PurposeText struct {
	receipt.Purpose
	// Ref is the reference of the purpose notice (kaiconn-receipt/2).
	Ref string
	// Notice is the purpose notice (kaiconn-receipt/2); for
	// kaiconn-receipt/1 the inline members, in the same shape.
	Notice notice.Purpose
}

func failf(member, format string, args ...any) error {
	return errs.New(errs.Unprocessable, "%s: %s", member, fmt.Sprintf(format, args...))
}

// Check checks every hash r names against the sources and returns what r
// says. A kaiconn-receipt/2 receipt must name texts the sources hold, each
// of the kind, language, policy version, audience and purpose its place
// calls for; otherwise nobody could tell what the person was shown.
func (src Sources) Check(r *receipt.Receipt) (Texts, error) {
	t, err := src.CheckPolicy(r)
	if err != nil {
		return t, err
	}
	return src.checkNotices(r, t)
}

// CheckPolicy checks the policy hash alone: the text of the receipt's
// policy version in its language must hash to policy.sha256. A
// kaiconn-receipt/1 receipt of a policy the sources lack passes unchecked
// (its texts are inline); Texts then has no PolicyFile.
func (src Sources) CheckPolicy(r *receipt.Receipt) (Texts, error) {
	t := Texts{Controller: r.Controller}
	file := PolicyFile(r.Policy.Version, r.Language)
	text, err := fs.ReadFile(src.Policy, file)
	switch {
	case err != nil && r.NamesNotice():
		return t, failf("receipt.policy", "no text of policy %s in %s among the sources (policy/%s)", r.Policy.Version, r.Language, file)
	case err == nil:
		sum := sha256.Sum256(text)
		if hex.EncodeToString(sum[:]) != r.Policy.SHA256 {
			return t, failf("receipt.policy.sha256", "not the hash of policy/%s", file)
		}
		t.PolicyFile, t.PolicyText = "policy/"+file, text
		t.Checked++
	}
	return t, nil
}

// CheckNotices checks the notice hashes alone (kaiconn-receipt/2) and
// returns the texts they name; for kaiconn-receipt/1 it returns the inline
// texts.
func (src Sources) CheckNotices(r *receipt.Receipt) (Texts, error) {
	return src.checkNotices(r, Texts{Controller: r.Controller})
}

func (src Sources) checkNotices(r *receipt.Receipt, t Texts) (Texts, error) {
	if !r.NamesNotice() {
		for _, p := range r.Purposes {
			t.Purposes = append(t.Purposes, PurposeText{Purpose: p, Notice: notice.Purpose{
				ID: p.ID, Recipient: p.Recipient, DataCategories: p.DataCategories, ConsentType: p.ConsentType,
				Withdraw: notice.Withdraw{Text: p.Withdraw.Text, URL: p.Withdraw.URL},
			}})
		}
		return t, nil
	}

	// The one notice the receipt names, and through it every other.
	audience := notice.Audience(consent.Surface(r.Surface))
	shown, err := src.Notices.Shown(r.Notice)
	if err != nil {
		return t, failf("receipt.notice", "%s", errs.Message(err))
	}
	if shown.Language != r.Language || shown.Version != r.Policy.Version || shown.Audience != audience {
		return t, failf("receipt.notice", "the notice shown to the %s audience in %s under policy %s, not to the %s audience in %s under policy %s",
			shown.Audience, shown.Language, shown.Version, audience, r.Language, r.Policy.Version)
	}
	t.Shown = shown
	t.Checked++

	// A confirmed fact is proven by the statement the notice lists for it:
	// a fact the notice does not list would be a confirmation of nothing
	// the person was shown.
	for i, id := range r.Confirmed {
		if !shown.Confirms(id) {
			return t, failf(fmt.Sprintf("receipt.confirmed[%d]", i), "fact %q, but the notice lists no statement for it", id)
		}
	}

	c, err := src.Notices.Controller(shown.Controller)
	if err != nil {
		return t, failf("receipt.notice", "controller: %s", errs.Message(err))
	}
	t.Controller = receipt.Controller{Name: c.Name, Address: c.Address, Email: c.Email}
	t.Checked++

	w, err := src.Notices.Withdrawal(shown.Withdrawal)
	if err != nil {
		return t, failf("receipt.notice", "withdrawal: %s", errs.Message(err))
	}
	if w.Language != r.Language {
		return t, failf("receipt.notice", "withdrawal: the notice is in %s, the receipt in %s", w.Language, r.Language)
	}
	t.Withdrawal = w
	t.Checked++

	// The receipt states what became of each purpose the person was shown,
	// in the same order: a purpose the notice lists and the receipt does
	// not, or the other way round, would be a state without its text.
	if len(shown.Purposes) != len(r.Purposes) {
		return t, failf("receipt.purposes", "%d purposes, but the notice lists %d", len(r.Purposes), len(shown.Purposes))
	}
	for i, p := range r.Purposes {
		sp := shown.Purposes[i]
		if sp.ID != p.ID {
			return t, failf(fmt.Sprintf("receipt.purposes[%d].id", i), "%q, but the notice lists %q here", p.ID, sp.ID)
		}
		n, err := src.Notices.Purpose(sp.Notice)
		if err != nil {
			return t, failf("receipt.notice", "purposes[%d]: %s", i, errs.Message(err))
		}
		if n.ID != sp.ID || n.Language != r.Language || n.Version != r.Policy.Version || n.Audience != audience {
			return t, failf("receipt.notice", "purposes[%d]: the notice of %s purpose %q in %s under policy %s, not of %s purpose %q in %s under policy %s",
				i, n.Audience, n.ID, n.Language, n.Version, audience, sp.ID, r.Language, r.Policy.Version)
		}
		t.Purposes = append(t.Purposes, PurposeText{Purpose: p, Ref: sp.Notice, Notice: n})
		t.Checked++
	}
	return t, nil
}

// NoticeRefs lists every notice t was reconstructed from: the shown notice
// (named by the receipt), its controller and withdrawal notices and each
// purpose notice. Empty for kaiconn-receipt/1.
func (t Texts) NoticeRefs(r *receipt.Receipt) []string {
	if !r.NamesNotice() {
		return nil
	}
	refs := []string{r.Notice, t.Shown.Controller, t.Shown.Withdrawal}
	for _, p := range t.Purposes {
		refs = append(refs, p.Ref)
	}
	return refs
}
