//go:build !wasm

package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/kaiconn/consent/bundle"
)

// runBundle is `kaiconn-consent bundle`: it writes the app bundle, the
// surfaces the phone app ships and shows offline (make bundle,
// docs/bundle.md).
func runBundle(args []string, out io.Writer) error {
	fl := flag.NewFlagSet("bundle", flag.ContinueOnError)
	fl.SetOutput(out)
	origin := fl.String("origin", bundle.DefaultOrigin, "the consent server the bundle's pages send decisions and receipts to (scheme://host[:port])")
	dir := fl.String("out", "dist/app-bundle", "the directory written (an earlier bundle there is replaced)")
	web := fl.String("web", "web", "the directory holding the built app.wasm and wasm_exec.js (make wasm)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("bundle: unexpected argument %q", fl.Arg(0))
	}
	m, err := bundle.Build(context.Background(), bundle.Options{Origin: *origin, Out: *dir, WebDir: *web})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "bundle: policy %s for %s, %d files in %s\n", m.PolicyVersion, m.Origin, len(m.Files)+1, *dir)
	return nil
}
