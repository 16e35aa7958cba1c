//go:build !wasm

package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/kaiconn/consent/datadir"
	"github.com/kaiconn/consent/server"
)

// parseRetention reads -retention: a Go duration, not negative.
func parseRetention(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration such as %s (three years, the default) or 0 (purge at once); "+
			"use h, m or s, Go has no unit of days", v, "26280h")
	}
	return d, nil
}

// runPurge is `kaiconn-consent purge [-apply] [flags]`: it purges the
// store the server's flags name, as the server does on its schedule. Dry
// by default: it says what it would delete, and deletes with -apply.
func runPurge(args []string, getenv func(string) string, stdout io.Writer) error {
	apply := slices.Contains(args, "-apply") || slices.Contains(args, "--apply")
	args = slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "-apply" || a == "--apply" })
	cfg, err := parseConfig(args, getenv)
	if err != nil {
		return err
	}
	store, err := datadir.OpenStore(datadir.Config{Dir: cfg.DataDir, DSN: cfg.DSN})
	if err != nil {
		return err
	}
	defer store.Close()
	res, cutoff, err := server.Purge(context.Background(), store, cfg, apply, time.Now())
	if err != nil {
		return err
	}
	switch {
	case res.Busy:
		fmt.Fprintln(stdout, "another node is purging this database now; nothing done")
	case apply:
		fmt.Fprintf(stdout, "purged: the bodies of %d receipts of %d subjects whose chains ended before %s are deleted (tombstones kept); %d held\n",
			res.Receipts, res.Subjects, cutoff.Format(time.RFC3339), res.Held)
	default:
		fmt.Fprintf(stdout, "dry run: would delete the bodies of %d receipts of %d subjects whose chains ended before %s; %d held; run with -apply to delete\n",
			res.Receipts, res.Subjects, cutoff.Format(time.RFC3339), res.Held)
	}
	return nil
}
