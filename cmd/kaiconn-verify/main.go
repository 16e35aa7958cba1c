package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("kaiconn-verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jwksPath := fs.String("jwks", "", "the server's JSON Web Key Set (/.well-known/jwks.json)")
	chainPath := fs.String("chain", "", "a subject's history to verify link by link, instead of one receipt")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kaiconn-verify -jwks jwks.json receipt.json")
		fmt.Fprintln(stderr, "       kaiconn-verify -jwks jwks.json -chain history.json")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *jwksPath == "" || (*chainPath == "") == (fs.NArg() != 1) || (*chainPath != "" && fs.NArg() != 0) {
		fs.Usage()
		return 2
	}
	jwks, err := os.ReadFile(*jwksPath)
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
		attested := 0
		for _, c := range h.Receipts {
			// VerifyChain has decoded every envelope already.
			if s, err := receipt.Decode(c.Envelope); err == nil && s.Attestation == receipt.AttestationServer {
				attested++
			}
		}
		fmt.Fprintf(stdout, "OK: %d receipts (%d device-signed, %d server-attested), every device signature, countersignature and chain link verified\n",
			len(h.Receipts), len(h.Receipts)-attested, attested)
		return 0
	}

	path := fs.Arg(0)
	var c receipt.Countersigned
	if err := readJSON(path, &c); err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}
	s, err := c.Verify(jwks)
	if err != nil {
		fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: %s\n", path, errs.Message(err))
		return 1
	}
	hash, _ := s.Hash()
	if s.Attestation == receipt.AttestationServer {
		// Say plainly that only the server vouches for this one.
		fmt.Fprintf(stdout, "OK: receipt %s (hash %s): server-attested (recorded from a form, no device signature); countersignature verified\n", s.Receipt.ID, hash)
		return 0
	}
	fmt.Fprintf(stdout, "OK: receipt %s (hash %s): device signature and countersignature verified\n", s.Receipt.ID, hash)
	return 0
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: not the expected JSON: %w", path, err)
	}
	return nil
}
