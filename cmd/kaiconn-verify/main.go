package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/locales/notices"
	policydata "github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/receipt"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("kaiconn-verify", flag.ContinueOnError)
	fset.SetOutput(stderr)
	jwksPath := fset.String("jwks", "", "the server's JSON Web Key Set (/.well-known/jwks.json)")
	chainPath := fset.String("chain", "", "a subject's history to verify link by link, instead of one receipt")
	sourcesDir := fset.String("sources", "", "a directory laid out like locales/ (policy/, notices/) to check hashes against, instead of the embedded texts")
	show := fset.Bool("show", false, "print what each receipt says, with the texts reconstructed from the sources")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: kaiconn-verify -jwks jwks.json [-sources DIR] [-show] receipt.json")
		fmt.Fprintln(stderr, "       kaiconn-verify -jwks jwks.json [-sources DIR] [-show] -chain history.json")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if *jwksPath == "" || (*chainPath == "") == (fset.NArg() != 1) || (*chainPath != "" && fset.NArg() != 0) {
		fset.Usage()
		return 2
	}
	jwks, err := os.ReadFile(*jwksPath)
	if err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}
	src, err := openSources(*sourcesDir)
	if err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}

	if *chainPath != "" {
		var h receipt.History
		if err := readJSON(*chainPath, &h); err != nil {
			fmt.Fprintln(stderr, "kaiconn-verify:", err)
			return 1
		}
		if err := receipt.VerifyChain(h, jwks); err != nil {
			fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: %s\n", *chainPath, errs.Message(err))
			return 1
		}
		attested, refs := 0, 0
		for i, c := range h.Receipts {
			// VerifyChain has decoded and verified every envelope already.
			s, err := receipt.Decode(c.Envelope)
			if err != nil {
				fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: receipts[%d]: %s\n", *chainPath, i, errs.Message(err))
				return 1
			}
			if s.Attestation == receipt.AttestationServer {
				attested++
			}
			v, err := src.check(&s.Receipt)
			if err != nil {
				fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: receipts[%d]: %s\n", *chainPath, i, errs.Message(err))
				return 1
			}
			refs += v.checked
			if *show {
				v.print(stdout, s)
			}
		}
		fmt.Fprintf(stdout, "OK: %d receipts (%d device-signed, %d server-attested), every device signature, countersignature and chain link verified; %s\n",
			len(h.Receipts), len(h.Receipts)-attested, attested, refsChecked(refs))
		return 0
	}

	file := fset.Arg(0)
	var c receipt.Countersigned
	if err := readJSON(file, &c); err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}
	s, err := c.Verify(jwks)
	if err != nil {
		fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: %s\n", file, errs.Message(err))
		return 1
	}
	v, err := src.check(&s.Receipt)
	if err != nil {
		fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: %s\n", file, errs.Message(err))
		return 1
	}
	if *show {
		v.print(stdout, s)
	}
	hash, _ := s.Hash()
	if s.Attestation == receipt.AttestationServer {
		// Say plainly that only the server vouches for this one.
		fmt.Fprintf(stdout, "OK: receipt %s (hash %s): server-attested (recorded from a form, no device signature); countersignature verified; %s\n", s.Receipt.ID, hash, refsChecked(v.checked))
		return 0
	}
	fmt.Fprintf(stdout, "OK: receipt %s (hash %s): device signature and countersignature verified; %s\n", s.Receipt.ID, hash, refsChecked(v.checked))
	return 0
}

func refsChecked(n int) string {
	if n == 0 {
		return "no text hash checked (kaiconn-receipt/1 of a policy the sources lack)"
	}
	return fmt.Sprintf("%d text hashes match the sources", n)
}

func readJSON(file string, v any) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: not the expected JSON: %w", file, err)
	}
	return nil
}

// sources are the versioned texts receipts refer to.
type sources struct {
	policy  fs.FS // <version>/<lang>.md
	notices *notice.Registry
}

func openSources(dir string) (sources, error) {
	if dir == "" {
		return sources{policy: policydata.FS, notices: notice.NewRegistry(notices.FS)}, nil
	}
	for _, sub := range []string{"policy", "notices"} {
		if info, err := os.Stat(dir + "/" + sub); err != nil || !info.IsDir() {
			return sources{}, fmt.Errorf("-sources %s: no %s directory: the sources are laid out like locales/ (policy/<version>/<lang>.md, notices/<hash>.json)", dir, sub)
		}
	}
	root := os.DirFS(dir)
	policy, _ := fs.Sub(root, "policy")
	notes, _ := fs.Sub(root, "notices")
	return sources{policy: policy, notices: notice.NewRegistry(notes)}, nil
}

// view is what a receipt says, its texts reconstructed: inline for
// kaiconn-receipt/1, from the notices for kaiconn-receipt/2.
type view struct {
	checked    int          // hashes checked against the sources
	policyFile string       // "" when the sources lack the policy text
	shown      notice.Shown // v2 only
	controller receipt.Controller
	withdrawal notice.Withdrawal // v2 only
	purposes   []purposeView
}

type purposeView struct {
	receipt.Purpose
	ref    string         // v2: the reference of the purpose notice
	notice notice.Purpose // v2; for v1 the inline members, in the same shape
}

func failf(member, format string, args ...any) error {
	return errs.New(errs.Unprocessable, "%s: %s", member, fmt.Sprintf(format, args...))
}

// check checks every hash r names against the sources and returns what r
// says. A kaiconn-receipt/2 receipt must name texts the sources hold, each
// of the kind, language, policy version, audience and purpose its place
// calls for; otherwise nobody could tell what the person was shown.
func (src sources) check(r *receipt.Receipt) (view, error) {
	v := view{controller: r.Controller}
	v2 := r.Schema == receipt.SchemaV2

	file := path.Join(r.Policy.Version, r.Language+".md")
	text, err := fs.ReadFile(src.policy, file)
	switch {
	case err != nil && v2:
		return v, failf("receipt.policy", "no text of policy %s in %s among the sources (policy/%s)", r.Policy.Version, r.Language, file)
	case err == nil:
		sum := sha256.Sum256(text)
		if hex.EncodeToString(sum[:]) != r.Policy.SHA256 {
			return v, failf("receipt.policy.sha256", "not the hash of policy/%s", file)
		}
		v.policyFile = "policy/" + file
		v.checked++
	}

	if !v2 {
		for _, p := range r.Purposes {
			v.purposes = append(v.purposes, purposeView{Purpose: p, notice: notice.Purpose{
				Recipient: p.Recipient, DataCategories: p.DataCategories, ConsentType: p.ConsentType,
				Withdraw: notice.Withdraw{Text: p.Withdraw.Text, URL: p.Withdraw.URL},
			}})
		}
		return v, nil
	}

	// The one notice the receipt names, and through it every other.
	audience := notice.Audience(consent.Surface(r.Surface))
	shown, err := src.notices.Shown(r.Notice)
	if err != nil {
		return v, failf("receipt.notice", "%s", errs.Message(err))
	}
	if shown.Language != r.Language || shown.Version != r.Policy.Version || shown.Audience != audience {
		return v, failf("receipt.notice", "the notice shown to the %s audience in %s under policy %s, not to the %s audience in %s under policy %s",
			shown.Audience, shown.Language, shown.Version, audience, r.Language, r.Policy.Version)
	}
	v.shown = shown
	v.checked++

	c, err := src.notices.Controller(shown.Controller)
	if err != nil {
		return v, failf("receipt.notice", "controller: %s", errs.Message(err))
	}
	v.controller = receipt.Controller{Name: c.Name, Address: c.Address, Email: c.Email}
	v.checked++

	w, err := src.notices.Withdrawal(shown.Withdrawal)
	if err != nil {
		return v, failf("receipt.notice", "withdrawal: %s", errs.Message(err))
	}
	if w.Language != r.Language {
		return v, failf("receipt.notice", "withdrawal: the notice is in %s, the receipt in %s", w.Language, r.Language)
	}
	v.withdrawal = w
	v.checked++

	// The receipt states what became of each purpose the person was shown,
	// in the same order: a purpose the notice lists and the receipt does
	// not, or the other way round, would be a state without its text.
	if len(shown.Purposes) != len(r.Purposes) {
		return v, failf("receipt.purposes", "%d purposes, but the notice lists %d", len(r.Purposes), len(shown.Purposes))
	}
	for i, p := range r.Purposes {
		sp := shown.Purposes[i]
		if sp.ID != p.ID {
			return v, failf(fmt.Sprintf("receipt.purposes[%d].id", i), "%q, but the notice lists %q here", p.ID, sp.ID)
		}
		n, err := src.notices.Purpose(sp.Notice)
		if err != nil {
			return v, failf("receipt.notice", "purposes[%d]: %s", i, errs.Message(err))
		}
		if n.ID != sp.ID || n.Language != r.Language || n.Version != r.Policy.Version || n.Audience != audience {
			return v, failf("receipt.notice", "purposes[%d]: the notice of %s purpose %q in %s under policy %s, not of %s purpose %q in %s under policy %s",
				i, n.Audience, n.ID, n.Language, n.Version, audience, sp.ID, r.Language, r.Policy.Version)
		}
		v.purposes = append(v.purposes, purposeView{Purpose: p, ref: sp.Notice, notice: n})
		v.checked++
	}
	return v, nil
}

// print writes what s says, for people.
func (v view) print(w io.Writer, s *receipt.Signed) {
	r := &s.Receipt
	attestation := "device-signed"
	if s.Attestation == receipt.AttestationServer {
		attestation = "server-attested"
	}
	fmt.Fprintf(w, "receipt %s (%s, %s)\n", r.ID, r.Schema, attestation)
	fmt.Fprintf(w, "  subject:    %s\n", r.Subject)
	fmt.Fprintf(w, "  decision:   %s on %s, in %s, at %s\n", r.Decision, r.Surface, r.Language, r.IssuedAt)
	if r.Notice != "" {
		fmt.Fprintf(w, "  notice:     %s (shown to the %s audience in %s under policy %s)\n", r.Notice, v.shown.Audience, v.shown.Language, v.shown.Version)
	}
	fmt.Fprintf(w, "  controller: %s; %s; %s\n", v.controller.Name, v.controller.Address, v.controller.Email)
	if r.Notice != "" {
		fmt.Fprintf(w, "              notice %s\n", v.shown.Controller)
	}
	policy := "not among the sources"
	if v.policyFile != "" {
		policy = v.policyFile
	}
	fmt.Fprintf(w, "  policy:     %s, sha256 %s (%s)\n", r.Policy.Version, r.Policy.SHA256, policy)
	if len(r.Confirmed) > 0 {
		fmt.Fprintf(w, "  confirmed:  %s\n", strings.Join(r.Confirmed, ", "))
	}
	for _, p := range v.purposes {
		state := p.State
		if p.ExpiresAt != "" {
			state += " until " + p.ExpiresAt
		}
		fmt.Fprintf(w, "  purpose %s: %s\n", p.ID, state)
		n := p.notice
		line := func(label, text string) {
			if text != "" {
				fmt.Fprintf(w, "    %-11s %s\n", label+":", text)
			}
		}
		line("notice", p.ref)
		line("title", n.Title)
		line("recipient", n.Recipient)
		line("sdk", n.SDK)
		line("data", strings.Join(n.DataCategories, "; "))
		line("cookies", strings.Join(n.Cookies, ", "))
		line("use", n.Use)
		line("consent", n.ConsentType)
		line("privacy", n.PrivacyURL)
		line("withdraw", strings.TrimSpace(n.Withdraw.Text+" "+n.Withdraw.URL))
	}
	if v.withdrawal.Text != "" {
		fmt.Fprintf(w, "  withdrawal: %s %s\n", v.withdrawal.Text, v.withdrawal.URL)
		fmt.Fprintf(w, "              %s\n", v.withdrawal.RequiredText)
		fmt.Fprintf(w, "              notice %s\n", v.shown.Withdrawal)
	}
}
