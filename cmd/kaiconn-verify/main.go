package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/proof"
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
	bundlePath := fset.String("bundle", "", "a proof bundle (the console's .json download) to verify whole, with the keys and texts it carries")
	show := fset.Bool("show", false, "print what each receipt says, with the texts reconstructed from the sources")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: kaiconn-verify -jwks jwks.json [-sources DIR] [-show] receipt.json")
		fmt.Fprintln(stderr, "       kaiconn-verify -jwks jwks.json [-sources DIR] [-show] -chain history.json")
		fmt.Fprintln(stderr, "       kaiconn-verify [-jwks jwks.json] [-show] -bundle bundle.json")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if *bundlePath != "" {
		if *chainPath != "" || *sourcesDir != "" || fset.NArg() != 0 {
			fset.Usage()
			return 2
		}
		return verifyBundle(*bundlePath, *jwksPath, *show, stdout, stderr)
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
			v, err := src.Check(&s.Receipt)
			if err != nil {
				fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: receipts[%d]: %s\n", *chainPath, i, errs.Message(err))
				return 1
			}
			refs += v.Checked
			if *show {
				printReceipt(stdout, v, s)
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
	v, err := src.Check(&s.Receipt)
	if err != nil {
		fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: %s\n", file, errs.Message(err))
		return 1
	}
	if *show {
		printReceipt(stdout, v, s)
	}
	hash, _ := s.Hash()
	if s.Attestation == receipt.AttestationServer {
		// Say plainly that only the server vouches for this one.
		fmt.Fprintf(stdout, "OK: receipt %s (hash %s): server-attested (recorded from a form, no device signature); countersignature verified; %s\n", s.Receipt.ID, hash, refsChecked(v.Checked))
		return 0
	}
	fmt.Fprintf(stdout, "OK: receipt %s (hash %s): device signature and countersignature verified; %s\n", s.Receipt.ID, hash, refsChecked(v.Checked))
	return 0
}

// verifyBundle checks a proof bundle whole: its canonical form, its seal,
// its chain and every text hash against the texts it carries. With -jwks,
// the keys given are trusted instead of the bundle's own.
func verifyBundle(file, jwksPath string, show bool, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}
	var keys []byte
	if jwksPath != "" {
		if keys, err = os.ReadFile(jwksPath); err != nil {
			fmt.Fprintln(stderr, "kaiconn-verify:", err)
			return 1
		}
	}
	v, err := proof.Verify(data, keys)
	if err != nil {
		fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: %s\n", file, errs.Message(err))
		return 1
	}
	attested := 0
	for _, it := range v.Report.Items {
		if it.Signed.Attestation == receipt.AttestationServer {
			attested++
		}
		if show {
			printReceipt(stdout, it.Texts, it.Signed)
		}
	}
	n := len(v.Report.Items)
	fmt.Fprintf(stdout, "OK: bundle of subject %s made %s, sealed by key %s: %d receipts (%d device-signed, %d server-attested), every device signature, countersignature and chain link verified; %s\n",
		v.Bundle.Subject, v.Bundle.CreatedAt, v.SealKeyID, n, n-attested, attested, refsChecked(v.Texts))
	if keys == nil {
		// The bundle vouches for its own keys: say which, so that the
		// reader compares them with the ones the server publishes.
		fmt.Fprintf(stdout, "keys trusted from the bundle itself: %s; compare them with the kid values of the server's /.well-known/jwks.json, or pass that file with -jwks\n",
			strings.Join(v.KeyIDs, ", "))
	}
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

// print writes what s says, for people.
func printReceipt(w io.Writer, v proof.Texts, s *receipt.Signed) {
	r := &s.Receipt
	attestation := "device-signed"
	if s.Attestation == receipt.AttestationServer {
		attestation = "server-attested"
	}
	fmt.Fprintf(w, "receipt %s (%s, %s)\n", r.ID, r.Schema, attestation)
	fmt.Fprintf(w, "  subject:    %s\n", r.Subject)
	fmt.Fprintf(w, "  decision:   %s on %s, in %s, at %s\n", r.Decision, r.Surface, r.Language, r.IssuedAt)
	if r.Notice != "" {
		fmt.Fprintf(w, "  notice:     %s (shown to the %s audience in %s under policy %s)\n", r.Notice, v.Shown.Audience, v.Shown.Language, v.Shown.Version)
	}
	fmt.Fprintf(w, "  controller: %s; %s; %s\n", v.Controller.Name, v.Controller.Address, v.Controller.Email)
	if r.Notice != "" {
		fmt.Fprintf(w, "              notice %s\n", v.Shown.Controller)
	}
	policy := "not among the sources"
	if v.PolicyFile != "" {
		policy = v.PolicyFile
	}
	fmt.Fprintf(w, "  policy:     %s, sha256 %s (%s)\n", r.Policy.Version, r.Policy.SHA256, policy)
	if len(r.Confirmed) > 0 {
		fmt.Fprintf(w, "  confirmed:  %s\n", strings.Join(r.Confirmed, ", "))
		for _, c := range v.Shown.Confirmations {
			if slices.Contains(r.Confirmed, c.ID) {
				fmt.Fprintf(w, "    %-11s %s\n", c.ID+":", c.Statement)
			}
		}
	}
	for _, p := range v.Purposes {
		state := p.State
		if p.ExpiresAt != "" {
			state += " until " + p.ExpiresAt
		}
		if p.State == receipt.StateNecessary {
			state += " for the service, not consent"
		}
		fmt.Fprintf(w, "  purpose %s: %s\n", p.ID, state)
		n := p.Notice
		line := func(label, text string) {
			if text != "" {
				fmt.Fprintf(w, "    %-11s %s\n", label+":", text)
			}
		}
		line("notice", p.Ref)
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
	if v.Withdrawal.Text != "" {
		fmt.Fprintf(w, "  withdrawal: %s %s\n", v.Withdrawal.Text, v.Withdrawal.URL)
		fmt.Fprintf(w, "              %s\n", v.Withdrawal.RequiredText)
		fmt.Fprintf(w, "              notice %s\n", v.Shown.Withdrawal)
	}
}

func openSources(dir string) (proof.Sources, error) {
	if dir == "" {
		return proof.Embedded(), nil
	}
	return proof.OpenDir(dir)
}
