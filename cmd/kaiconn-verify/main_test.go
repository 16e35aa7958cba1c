package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The fixtures are written by the receipt package's tests (go test
// ./receipt -update) from fixed keys.
func fixture(name string) string { return filepath.Join("..", "..", "testdata", "receipt", name) }

func TestRun(t *testing.T) {
	jwks := fixture("jwks.json")
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"OKReceipt", []string{"-jwks", jwks, fixture("receipt.json")}, 0,
			"OK: receipt 1b4e28ba-2fa1-41d2-883f-0016d3cca427", ""},
		{"OKServerAttested", []string{"-jwks", jwks, fixture("attested-receipt.json")}, 0,
			"OK: receipt 7c9e6679-7425-40de-944b-e07fc1f90ae7 (hash ab3e0fbe4a74fd7a908152e9a7bbf8c2054e3ca39b8081df226acb78e34454bb): server-attested", ""},
		{"OKChain", []string{"-jwks", jwks, "-chain", fixture("history.json")}, 0, "OK: 3 receipts (2 device-signed, 1 server-attested)", ""},
		{"ErrAlteredServerAttested", []string{"-jwks", jwks, fixture("altered-attested-receipt.json")}, 1, "",
			"FAILED: countersignature: signs other bytes"},
		{"ErrRelabelledAttestation", []string{"-jwks", jwks, fixture("relabelled-attestation.json")}, 1, "",
			"FAILED: countersignature: signs other bytes"},
		{"ErrAlteredReceipt", []string{"-jwks", jwks, fixture("altered-receipt.json")}, 1, "",
			"FAILED: device.sig: signature does not verify"},
		{"ErrSwappedCountersignature", []string{"-jwks", jwks, fixture("swapped-countersignature.json")}, 1, "",
			"FAILED: countersignature: signs other bytes"},
		{"ErrBrokenChain", []string{"-jwks", jwks, "-chain", fixture("broken-chain.json")}, 1, "",
			"FAILED: receipts[1]: chain broken"},
		{"ErrWrongKeys", []string{"-jwks", fixture("history.json"), fixture("receipt.json")}, 1, "",
			"FAILED: countersignature: key"},
		{"ErrNoJWKS", []string{fixture("receipt.json")}, 2, "", "usage:"},
		{"ErrBothModes", []string{"-jwks", jwks, "-chain", fixture("history.json"), fixture("receipt.json")}, 2, "", "usage:"},
		{"ErrMissingFile", []string{"-jwks", jwks, fixture("nope.json")}, 1, "", "no such file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr.String())
			if tt.stdout != "" {
				assert.Contains(t, stdout.String(), tt.stdout)
			}
			if tt.stderr != "" {
				assert.Contains(t, stderr.String(), tt.stderr)
			}
		})
	}
}
