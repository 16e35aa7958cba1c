package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/receipt"
)

// verifyExport checks an export (GET /api/v1/export) line by line: every
// receipt as kaiconn-verify checks one, each id once, and every link: a
// receipt's prevHash, or a tombstone's, is "" or the hash of an earlier
// line, and no hash is followed twice (a fork). A tombstone, a receipt
// whose body the retention deleted, is a link whose id and hash are taken
// as given.
func verifyExport(file, jwksPath string, stdout, stderr io.Writer) int {
	jwks, err := os.ReadFile(jwksPath)
	if err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}
	f, err := os.Open(file)
	if err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}
	defer f.Close()
	fail := func(line int, format string, args ...any) int {
		fmt.Fprintf(stderr, "kaiconn-verify: %s: FAILED: line %d: %s\n", file, line, fmt.Sprintf(format, args...))
		return 1
	}
	seen := map[string]bool{}     // ids
	hashes := map[string]bool{}   // hashes of earlier lines
	followed := map[string]bool{} // hashes some line names as its prevHash
	live, tombs := 0, 0
	lines := bufio.NewScanner(f)
	lines.Buffer(make([]byte, 0, 64<<10), 1<<20)
	n := 0
	for lines.Scan() {
		n++
		var c receipt.Countersigned
		if err := json.Unmarshal(lines.Bytes(), &c); err != nil {
			return fail(n, "not a line of an export: %v", err)
		}
		prev := c.PrevHash
		if c.Tombstone == nil {
			s, err := c.Verify(jwks)
			if err != nil {
				return fail(n, "%s", errs.Message(err))
			}
			prev = s.Receipt.PrevHash
			live++
		} else {
			if len(c.Envelope) != 0 || c.ID == "" || c.Hash == "" {
				return fail(n, "a tombstone keeps its id and hash and nothing else")
			}
			tombs++
		}
		if seen[c.ID] {
			return fail(n, "receipt %s appears twice", c.ID)
		}
		seen[c.ID] = true
		if prev != "" {
			if !hashes[prev] {
				return fail(n, "chain broken: prevHash %s is not the hash of an earlier line", prev)
			}
			if followed[prev] {
				return fail(n, "chain forked: another line follows %s already", prev)
			}
			followed[prev] = true
		}
		hashes[c.Hash] = true
	}
	if err := lines.Err(); err != nil {
		fmt.Fprintln(stderr, "kaiconn-verify:", err)
		return 1
	}
	fmt.Fprintf(stdout, "OK: export of %d lines: %d receipts verified (device signature, countersignature, id, hash, kid), %d tombstones (bodies deleted by the retention; id and hash taken as given), every link found\n",
		n, live, tombs)
	return 0
}
