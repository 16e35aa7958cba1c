package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kaiconn-receipt/1 fixtures, records stored before v2 with full
// countersignatures, are written by the receipt package's tests (go test
// ./receipt -update); the v2-*.json ones by this package's (go test
// ./cmd/kaiconn-verify -update). All are made from fixed keys.
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
		{"OKV1OfPolicyNotAmongSources", []string{"-jwks", jwks, fixture("receipt.json")}, 0,
			"no text hash checked (kaiconn-receipt/1 of a policy the sources lack)", ""},
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

		// kaiconn-receipt/2, detached countersignatures.
		{"OKV2Receipt", []string{"-jwks", jwks, fixture("v2-receipt.json")}, 0,
			"OK: receipt 3f2b8c1e-7d4a-4b9e-8f6a-2c5d9e0a1b7c", ""},
		{"OKV2ChecksEveryHash", []string{"-jwks", jwks, fixture("v2-receipt.json")}, 0,
			"device signature and countersignature verified; 9 text hashes match the sources", ""},
		{"OKV2ServerAttested", []string{"-jwks", jwks, fixture("v2-attested-receipt.json")}, 0,
			"server-attested (recorded from a form, no device signature); countersignature verified; 6 text hashes match the sources", ""},
		{"OKV1ToV2Chain", []string{"-jwks", jwks, "-chain", fixture("v2-history.json")}, 0,
			"OK: 3 receipts (2 device-signed, 1 server-attested), every device signature, countersignature and chain link verified; 19 text hashes match the sources", ""},
		{"OKV2ExplicitSources", []string{"-jwks", jwks, "-sources", filepath.Join("..", "..", "locales"), fixture("v2-receipt.json")}, 0,
			"9 text hashes match the sources", ""},
		{"OKFixturePolicyWithItsSources", []string{"-jwks", jwks, "-sources", filepath.Join("..", "..", "testdata"), fixture("v2-fixture-policy-receipt.json")}, 0,
			"OK: receipt 0d4f7b2a-3e9c-4c1a-8b6e-9a2d5f0c7e83", ""},
		{"ErrFixturePolicyNotShipped", []string{"-jwks", jwks, fixture("v2-fixture-policy-receipt.json")}, 1, "",
			"FAILED: receipt.policy: no text of policy 2026-12 in zh-Hans among the sources"},
		{"ErrV2TamperedNoticeHash", []string{"-jwks", jwks, fixture("v2-tampered-notice.json")}, 1, "",
			"FAILED: device.sig: signature does not verify"},
		{"ErrV2NoticeNotInRegistry", []string{"-jwks", jwks, fixture("v2-altered-notice.json")}, 1, "",
			"FAILED: receipt.purposes[4].notice: notice 0000000000000000000000000000000000000000000000000000000000000001: not in the registry"},
		{"ErrV2NoticeOfOtherLanguage", []string{"-jwks", jwks, fixture("v2-foreign-notice.json")}, 1, "",
			`FAILED: receipt.purposes[4].notice: the notice of app purpose "push" in zh-Hans under policy 2022-10, not of app purpose "push" in en`},
		{"ErrV2PolicyHash", []string{"-jwks", jwks, fixture("v2-altered-policy.json")}, 1, "",
			"FAILED: receipt.policy.sha256: not the hash of policy/2022-10/en.md"},
		{"ErrSourcesLayout", []string{"-jwks", jwks, "-sources", filepath.Join("..", "..", "testdata", "receipt"), fixture("v2-receipt.json")}, 1, "",
			"no policy directory"},

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

func TestShow(t *testing.T) {
	jwks := fixture("jwks.json")
	t.Run("V2", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, run([]string{"-jwks", jwks, "-show", fixture("v2-receipt.json")}, &stdout, &stderr), stderr.String())
		out := stdout.String()
		for _, want := range []string{
			"receipt 3f2b8c1e-7d4a-4b9e-8f6a-2c5d9e0a1b7c (kaiconn-receipt/2, device-signed)",
			"controller: 深圳市每开创新科技有限公司 / Shenzhen Kaiconn Innovative Technology Co., Ltd.",
			"(policy/2022-10/en.md)",
			"purpose push: given until 2027-11-29T04:30:00.000Z",
			"recipient:  Getui (Daily Interactive Co., Ltd.) — Getui (igexin) SDK",
			"data:       Device identifier; location information; MAC address; SD card storage permissions",
			"purpose wechat-share: refused",
			"withdrawal: You can withdraw this consent at any time in Privacy settings",
		} {
			assert.Contains(t, out, want)
		}
	})
	t.Run("V1", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, run([]string{"-jwks", jwks, "-show", "-chain", fixture("history.json")}, &stdout, &stderr), stderr.String())
		out := stdout.String()
		assert.Equal(t, 3, strings.Count(out, "(kaiconn-receipt/1, "))
		assert.Contains(t, out, "recipient:  Bugly SDK (Tencent)")
		assert.Contains(t, out, "(not among the sources)")
	})
}
