package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/kaiconn/consent/console"
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
	bundlePath := fset.String("bundle", "", "a proof bundle (the console's .json download) to verify whole, with the texts it carries")
	auditPath := fset.String("audit", "", "the console's audit log export (audit.ndjson) to verify: its hash chain and the server's signed checkpoints, with -jwks")
	kids := fset.String("kids", "", "with -bundle: comma-separated key ids (RFC 7638 thumbprints) from the operator's records; every key of the bundle must be one")
	show := fset.Bool("show", false, "print what each receipt says, with the texts reconstructed from the sources")
	exportPath := fset.String("export", "", "an export (GET /api/v1/export, NDJSON) to verify line by line, with every link")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "usage: kaiconn-verify -jwks jwks.json [-sources DIR] [-show] receipt.json")
		fmt.Fprintln(stderr, "       kaiconn-verify -jwks jwks.json [-sources DIR] [-show] -chain history.json")
		fmt.Fprintln(stderr, "       kaiconn-verify -jwks jwks.json | -kids KID,… [-show] -bundle bundle.json")
		fmt.Fprintln(stderr, "       kaiconn-verify -jwks jwks.json -audit audit.ndjson")
		fmt.Fprintln(stderr, "       kaiconn-verify -jwks jwks.json -export export.ndjson")
		fmt.Fprintln(stderr, "exit status: 0 verified, 1 failed, 2 usage, 3 a bundle checked only against its own keys (unverified)")
		fset.PrintDefaults()
	}
	if err := fset.Parse(args); err != nil {
		return 2
	}
	if *auditPath != "" {
		if *jwksPath == "" || *bundlePath != "" || *chainPath != "" || *sourcesDir != "" || *kids != "" || fset.NArg() != 0 {
			fset.Usage()
			return 2
		}
		return verifyAudit(*auditPath, *jwksPath, stdout, stderr)
	}
	if *bundlePath != "" {
		if *chainPath != "" || *sourcesDir != "" || fset.NArg() != 0 {
			fset.Usage()
			return 2
		}
		return verifyBundle(*bundlePath, *jwksPath, *kids, *show, stdout, stderr)
	}
	if *exportPath != "" {
		if *jwksPath == "" || *chainPath != "" || *kids != "" || fset.NArg() != 0 {
			fset.Usage()
			return 2
		}
		return verifyExport(*exportPath, *jwksPath, stdout, stderr)
	}
	if *kids != "" || *jwksPath == "" || (*chainPath == "") == (fset.NArg() != 1) || (*chainPath != "" && fset.NArg() != 0) {
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
		attested, refs, tombs := 0, 0, 0
		for i, c := range h.Receipts {
			if c.Tombstone != nil {
				// VerifyChain has checked its links; its body is gone.
				tombs++
				continue
			}
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
		if tombs > 0 {
			fmt.Fprintf(stdout, "%d tombstones: receipts whose bodies the retention deleted; their id and hash are taken as given, their links checked\n", tombs)
		}
		live := len(h.Receipts) - tombs
		fmt.Fprintf(stdout, "OK: %d receipts (%d device-signed, %d server-attested), every device signature, countersignature and chain link verified; %s\n",
			live, live-attested, attested, refsChecked(refs))
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

// exitUnverifiedKeys is the exit status of a bundle that checks, but only
// against the keys it carries itself.
const exitUnverifiedKeys = 3

// verifyBundle checks a proof bundle whole: its canonical form, its seal,
// its chain and every text hash against the texts it carries. With -jwks,
// the keys given are trusted instead of the bundle's own; with -kids, the
// bundle's keys must be among the ids given. With neither, the bundle
// would vouch for itself: anyone can add a key of their own to its jwks
// and re-seal it, so the verdict is "keys unverified", never OK.
func verifyBundle(file, jwksPath, kids string, show bool, stdout, stderr io.Writer) int {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}
	var trust proof.Trust
	if jwksPath != "" {
		if trust.JWKS, err = os.ReadFile(jwksPath); err != nil {
			fmt.Fprintln(stderr, "kaiconn-verify:", err)
			return 1
		}
	}
	if kids != "" {
		for _, kid := range strings.Split(kids, ",") {
			if kid = strings.TrimSpace(kid); kid != "" {
				trust.KeyIDs = append(trust.KeyIDs, kid)
			}
		}
	}
	v, err := proof.VerifyTrusting(data, trust)
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
	if !v.Pinned {
		fmt.Fprintf(stdout, "KEYS UNVERIFIED: bundle of subject %s made %s, sealed by key %s: %d receipts (%d device-signed, %d server-attested) check against the bundle's own keys only; %s\n",
			v.Bundle.Subject, v.Bundle.CreatedAt, v.SealKeyID, n, n-attested, attested, refsChecked(v.Texts))
		fmt.Fprintf(stderr, "kaiconn-verify: %s: keys unverified: a bundle cannot vouch for its own keys (%s), since anyone can add one and re-seal it; "+
			"pass the server's published /.well-known/jwks.json with -jwks, or the key ids from the operator's records with -kids\n",
			file, strings.Join(v.KeyIDs, ", "))
		return exitUnverifiedKeys
	}
	fmt.Fprintf(stdout, "OK: bundle of subject %s made %s, sealed by key %s: %d receipts (%d device-signed, %d server-attested), every device signature, countersignature and chain link verified; %s\n",
		v.Bundle.Subject, v.Bundle.CreatedAt, v.SealKeyID, n, n-attested, attested, refsChecked(v.Texts))
	fmt.Fprintf(stdout, "keys: %s\n", strings.Join(v.KeyIDs, ", "))
	return 0
}

// verifyAudit checks an export of the console's audit log: every entry
// chained to the one before, and every checkpoint signed by a key of the
// published JWKS over the entry it names, so that entries deleted or
// changed and the chain re-hashed fail.
func verifyAudit(file, jwksPath string, stdout, stderr io.Writer) int {
	jwks, err := os.ReadFile(jwksPath)
	if err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}
	var entries []console.Entry
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var e console.Entry
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: line %d: not an audit entry: %v\n", file, i+1, err)
			return 1
		}
		entries = append(entries, e)
	}
	got, err := console.VerifyAnchored(entries, jwks)
	if err != nil {
		fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: %s\n", file, errs.Message(err))
		return 1
	}
	fmt.Fprintf(stdout, "OK: audit log of %d entries, each chained to the one before; %d checkpoints signed by %s anchor it through entry %d",
		got.Entries, got.Checkpoints, strings.Join(got.KeyIDs, ", "), got.Through)
	if rest := int64(got.Entries) - got.Through; rest > 0 {
		fmt.Fprintf(stdout, "; the last %d entries are chained but not yet anchored", rest)
	}
	fmt.Fprintln(stdout)
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
