package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/console"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/notice"
	"github.com/kaiconn/consent/proof"
	"github.com/kaiconn/consent/receipt"
)

// The kaiconn-receipt/1 fixtures, records stored before v2 with full
// countersignatures, are written by the receipt package's tests (go test
// ./receipt -update); the v2-*.json ones by this package's (go test
// ./cmd/kaiconn-verify -update). All are made from fixed keys.
func fixture(name string) string { return filepath.Join("..", "..", "testdata", "receipt", name) }

// baseSources is a sources directory holding the base policy version only,
// with the whole notice registry: a receipt under any other version names
// a text it lacks, whatever locales/ ships.
func baseSources(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(dir, "policy"), localestest.Policy(t, localestest.Base)))
	require.NoError(t, os.CopyFS(filepath.Join(dir, "notices"), os.DirFS(filepath.Join("..", "..", "locales", "notices"))))
	return dir
}

func TestRun(t *testing.T) {
	jwks := fixture("jwks.json")
	baseOnly := baseSources(t)
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
			"device signature and countersignature verified; 10 text hashes match the sources", ""},
		{"OKV2ServerAttested", []string{"-jwks", jwks, fixture("v2-attested-receipt.json")}, 0,
			"server-attested (recorded from a form, no device signature); countersignature verified; 7 text hashes match the sources", ""},
		{"OKV1ToV2Chain", []string{"-jwks", jwks, "-chain", fixture("v2-history.json")}, 0,
			"OK: 3 receipts (2 device-signed, 1 server-attested), every device signature, countersignature and chain link verified; 21 text hashes match the sources", ""},
		{"OKV2ExplicitSources", []string{"-jwks", jwks, "-sources", filepath.Join("..", "..", "locales"), fixture("v2-receipt.json")}, 0,
			"10 text hashes match the sources", ""},
		{"OKFixturePolicyWithItsSources", []string{"-jwks", jwks, "-sources", filepath.Join("..", "..", "testdata"), fixture("v2-fixture-policy-receipt.json")}, 0,
			"OK: receipt 0d4f7b2a-3e9c-4c1a-8b6e-9a2d5f0c7e83", ""},
		{"ErrFixturePolicyNotAmongTheSources", []string{"-jwks", jwks, "-sources", baseOnly, fixture("v2-fixture-policy-receipt.json")}, 1, "",
			"FAILED: receipt.policy: no text of policy " + localestest.Later + " in zh-Hans among the sources"},
		{"ErrV2TamperedNoticeHash", []string{"-jwks", jwks, fixture("v2-tampered-notice.json")}, 1, "",
			"FAILED: device.sig: signature does not verify"},
		{"ErrV2NoticeNotInRegistry", []string{"-jwks", jwks, fixture("v2-altered-notice.json")}, 1, "",
			"FAILED: receipt.notice: notice 0000000000000000000000000000000000000000000000000000000000000001: not in the registry"},
		{"ErrV2NoticeOfOtherLanguage", []string{"-jwks", jwks, fixture("v2-foreign-notice.json")}, 1, "",
			"FAILED: receipt.notice: the notice shown to the app audience in zh-Hans under policy 2022-10, not to the app audience in en under policy 2022-10"},
		{"ErrV2PolicyHash", []string{"-jwks", jwks, fixture("v2-altered-policy.json")}, 1, "",
			"FAILED: receipt.policy.sha256: not the hash of policy/2022-10/en.md"},
		{"ErrSourcesLayout", []string{"-jwks", jwks, "-sources", filepath.Join("..", "..", "testdata", "receipt"), fixture("v2-receipt.json")}, 1, "",
			"no policy directory"},

		// kaiconn-receipt/3: the required processing necessary, not given.
		{"OKV3Declined", []string{"-jwks", jwks, fixture("v3-declined-receipt.json")}, 0,
			"OK: receipt e5b1c7d3-0a2f-4e6b-9c8d-4f1a3b5e7c20", ""},
		{"OKV3Chain", []string{"-jwks", jwks, "-chain", fixture("v3-history.json")}, 0,
			"OK: 2 receipts (1 device-signed, 1 server-attested), every device signature, countersignature and chain link verified", ""},

		// Proof bundles, as the console's .json download.
		{"OKBundle", []string{"-jwks", jwks, "-bundle", fixture("v2-bundle.json")}, 0,
			"OK: bundle of subject sub_abcdefghijklmnopqrstuvwxyz made 2026-12-02T04:30:00.000Z, sealed by key ", ""},
		{"OKBundleCountsEverything", []string{"-jwks", jwks, "-bundle", fixture("v2-bundle.json")}, 0,
			"3 receipts (2 device-signed, 1 server-attested), every device signature, countersignature and chain link verified; 21 text hashes match the sources", ""},
		{"OKBundleWithKeyIDsOnRecord", []string{"-kids", "someone-elses," + serverKID(t), "-bundle", fixture("v2-bundle.json")}, 0, "OK: bundle of subject", ""},
		{"ErrBundleVouchingForItself", []string{"-bundle", fixture("v2-bundle.json")}, 3, "KEYS UNVERIFIED: bundle of subject",
			"keys unverified: a bundle cannot vouch for its own keys (" + serverKID(t) + ")"},
		{"ErrBundleKeyNotPublished", []string{"-jwks", fixture("other-jwks.json"), "-bundle", fixture("v2-bundle.json")}, 1, "",
			"is not among the keys given"},
		{"ErrBundleKeyNotOnRecord", []string{"-kids", "someone-elses", "-bundle", fixture("v2-bundle.json")}, 1, "",
			"is not among the key ids given"},
		{"ErrKeyIDsWithoutBundle", []string{"-jwks", jwks, "-kids", serverKID(t), fixture("receipt.json")}, 2, "", "usage:"},
		{"ErrBundleIsAReceipt", []string{"-bundle", fixture("v2-receipt.json")}, 1, "", "FAILED: bundle: not in the canonical form"},
		{"ErrBundleWithSources", []string{"-sources", "x", "-bundle", fixture("v2-bundle.json")}, 2, "", "usage:"},

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
	cat, err := consent.LoadCatalogue(localestest.Catalogues(t, localestest.Base), localestest.Base)
	require.NoError(t, err)
	push, ok := cat.Purpose(consent.SurfaceFirstLaunch, "push")
	require.True(t, ok)
	t.Run("V2", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, run([]string{"-jwks", jwks, "-show", fixture("v2-receipt.json")}, &stdout, &stderr), stderr.String())
		out := stdout.String()
		for _, want := range []string{
			"receipt 3f2b8c1e-7d4a-4b9e-8f6a-2c5d9e0a1b7c (kaiconn-receipt/2, device-signed)",
			"notice:     " + notice.For(cat, consent.SurfaceFirstLaunch, consent.LangEn) + " (shown to the app audience in en under policy 2022-10)",
			"controller: 深圳市每开创新科技有限公司 / Shenzhen Kaiconn Innovative Technology Co., Ltd.",
			"notice " + notice.ControllerRef(),
			"(policy/2022-10/en.md)",
			"purpose push: given until 2027-11-29T04:30:00.000Z",
			"notice:     " + notice.PurposeRef(cat.Version(), push, consent.LangEn),
			"recipient:  Getui (Daily Interactive Co., Ltd.) — Getui (igexin) SDK",
			"data:       Device identifier; location information; MAC address; SD card storage permissions",
			"purpose wechat-share: refused",
			"withdrawal: You can withdraw this consent at any time in Privacy settings",
			"notice " + notice.WithdrawalRef(consent.LangEn),
			"confirmed:  age-18\n    age-18:     I confirm that I am 18 years of age or older\n",
		} {
			assert.Contains(t, out, want)
		}
	})
	t.Run("V3", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, run([]string{"-jwks", jwks, "-show", fixture("v3-declined-receipt.json")}, &stdout, &stderr), stderr.String())
		out := stdout.String()
		assert.Contains(t, out, "(kaiconn-receipt/3, server-attested)")
		assert.Contains(t, out, "purpose basic: necessary for the service, not consent\n")
		assert.Contains(t, out, "purpose push: refused\n")
		assert.NotContains(t, out, "given")
	})
	t.Run("V2BasicGiven", func(t *testing.T) {
		// Receipts before /3 said the required processing was given; they
		// are read as they were written.
		var stdout, stderr bytes.Buffer
		require.Equal(t, 0, run([]string{"-jwks", jwks, "-show", fixture("v2-receipt.json")}, &stdout, &stderr), stderr.String())
		assert.Contains(t, stdout.String(), "purpose basic: given until 2027-11-29T04:30:00.000Z")
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

// TestThroughTheNotice checks what a kaiconn-receipt/2 receipt names only
// through its notice. Each case writes a sources directory holding the real
// registry and one forged shown notice, and a receipt, genuinely signed and
// countersigned, that names it: the notice's own hash matches, so only the
// checks of the notices it lists can tell.
func TestThroughTheNotice(t *testing.T) {
	keys, err := receipt.NewKeyring(serverKey)
	require.NoError(t, err)
	b := fixtureBuilder{t: t, keys: keys}
	cat, err := consent.LoadCatalogue(localestest.Catalogues(t, localestest.Base), localestest.Base)
	require.NoError(t, err)
	policyDir := filepath.Join("..", "..", "locales", "policy")
	agreed, err := consent.Agree(cat, consent.SurfaceFirstLaunch, []consent.PurposeID{"push"}, consent.LangEn, decided)
	require.NoError(t, err)
	agreed.Confirmed = []string{consent.FactAge18}
	push, _ := cat.Purpose(consent.SurfaceFirstLaunch, "push")
	web, _ := cat.Purpose(consent.SurfaceWebBanner, "analytics")
	registry, err := filepath.Glob(filepath.Join("..", "..", "locales", "notices", "*.json"))
	require.NoError(t, err)
	policyText, err := os.ReadFile(filepath.Join(policyDir, cat.Version(), consent.LangEn+".md"))
	require.NoError(t, err)
	unknown := strings.Repeat("0", 64)

	for _, tt := range []struct {
		name  string
		forge func(n *notice.Shown) // n lists analytics, basic, crash-reports, location, push, wechat-share
		want  string                // "" for success
	}{
		{"OKAsTheCatalogueHasIt", func(*notice.Shown) {}, ""},
		{"ErrPurposeOfOtherLanguage", func(n *notice.Shown) {
			n.Purposes[4].Notice = notice.PurposeRef(cat.Version(), push, consent.LangZhHans)
		},
			`receipt.notice: purposes[4]: the notice of app purpose "push" in zh-Hans under policy 2022-10, not of app purpose "push" in en under policy 2022-10`},
		{"ErrPurposeOfOtherPurpose", func(n *notice.Shown) { n.Purposes[4].Notice = n.Purposes[3].Notice },
			`receipt.notice: purposes[4]: the notice of app purpose "location"`},
		{"ErrPurposeOfOtherAudience", func(n *notice.Shown) { n.Purposes[0].Notice = notice.PurposeRef(cat.Version(), web, consent.LangEn) },
			`receipt.notice: purposes[0]: the notice of web purpose "analytics"`},
		{"ErrPurposeNotInRegistry", func(n *notice.Shown) { n.Purposes[2].Notice = unknown },
			"receipt.notice: purposes[2]: notice " + unknown + ": not in the registry"},
		{"ErrPurposeIsWithdrawal", func(n *notice.Shown) { n.Purposes[1].Notice = n.Withdrawal },
			`receipt.notice: purposes[1]: notice ` + notice.WithdrawalRef(consent.LangEn) + `: is a "withdrawal" notice, not a purpose notice`},
		{"ErrPurposeLeftOut", func(n *notice.Shown) { n.Purposes = n.Purposes[:5] },
			"receipt.purposes: 6 purposes, but the notice lists 5"},
		{"ErrPurposesReordered", func(n *notice.Shown) { n.Purposes[0], n.Purposes[1] = n.Purposes[1], n.Purposes[0] },
			`receipt.purposes[0].id: "analytics", but the notice lists "basic" here`},
		{"ErrWithdrawalOfOtherLanguage", func(n *notice.Shown) { n.Withdrawal = notice.WithdrawalRef(consent.LangZhHans) },
			"receipt.notice: withdrawal: the notice is in zh-Hans, the receipt in en"},
		{"ErrControllerIsWithdrawal", func(n *notice.Shown) { n.Controller = n.Withdrawal },
			`receipt.notice: controller: notice ` + notice.WithdrawalRef(consent.LangEn) + `: is a "withdrawal" notice, not a controller notice`},
		{"ErrConfirmationLeftOut", func(n *notice.Shown) { n.Confirmations = nil },
			`receipt.confirmed[0]: fact "age-18", but the notice lists no statement for it`},
		{"ErrOtherPolicyVersion", func(n *notice.Shown) { n.Version = "2026-12" },
			"receipt.notice: the notice shown to the app audience in en under policy 2026-12, not to the app audience in en under policy 2022-10"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "notices"), 0o755))
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "policy", cat.Version()), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "policy", cat.Version(), consent.LangEn+".md"), policyText, 0o644))
			for _, f := range registry {
				data, err := os.ReadFile(f)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, "notices", filepath.Base(f)), data, 0o644))
			}
			shown := notice.NewShown(cat, consent.SurfaceFirstLaunch, consent.LangEn)
			shown.Purposes = slices.Clone(shown.Purposes)
			tt.forge(&shown)
			data, err := json.MarshalIndent(shown, "", "  ")
			require.NoError(t, err)
			ref := notice.Ref(shown)
			require.NoError(t, os.WriteFile(filepath.Join(dir, "notices", ref+".json"), data, 0o644))

			r := b.receipt(cat, policyDir, agreed, nil, "e7b3c9a1-5d2f-4e8b-9a6c-3f1d0b7e2a54", "", false)
			r.Notice = ref
			data, err = json.Marshal(b.countersign(r, false, false))
			require.NoError(t, err)
			file := filepath.Join(dir, "receipt.json")
			require.NoError(t, os.WriteFile(file, data, 0o644))

			var stdout, stderr bytes.Buffer
			code := run([]string{"-jwks", fixture("jwks.json"), "-sources", dir, file}, &stdout, &stderr)
			if tt.want == "" {
				require.Equal(t, 0, code, stderr.String())
				assert.Contains(t, stdout.String(), "10 text hashes match the sources")
				return
			}
			assert.Equal(t, 1, code, "stdout: %s", stdout.String())
			assert.Contains(t, stderr.String(), "FAILED: "+tt.want)
		})
	}
}

// One altered byte anywhere in a bundle makes it fail: in the receipts,
// the texts, the keys, the seal or the JSON around them. The positions are
// spread over the whole file, and include every byte of the seal; under
// -short, every fifth of them, still from every part of the file, since
// each check reads the whole bundle.
func TestBundleAlteredByte(t *testing.T) {
	data, err := os.ReadFile(fixture("v2-bundle.json"))
	require.NoError(t, err)
	var stdout, stderr bytes.Buffer
	kids := serverKID(t)
	require.Equal(t, 0, run([]string{"-kids", kids, "-bundle", fixture("v2-bundle.json")}, &stdout, &stderr), stderr.String())

	seal := bytes.LastIndex(data, []byte(`"seal":"`))
	require.Positive(t, seal)
	positions := map[int]bool{}
	for i := seal; i < len(data); i++ {
		positions[i] = true
	}
	for i := 0; i < len(data); i += len(data)/150 + 1 {
		positions[i] = true
	}
	if testing.Short() {
		n := 0
		for _, i := range slices.Sorted(maps.Keys(positions)) {
			if n++; n%5 != 0 {
				delete(positions, i)
			}
		}
	}
	dir := t.TempDir()
	for i := range positions {
		altered := bytes.Clone(data)
		altered[i] ^= 0x01
		file := filepath.Join(dir, "altered.json")
		require.NoError(t, os.WriteFile(file, altered, 0o644))
		stdout.Reset()
		stderr.Reset()
		if code := run([]string{"-kids", kids, "-bundle", file}, &stdout, &stderr); code != 1 {
			t.Errorf("byte %d (%q → %q) altered: exit %d, want 1; stdout: %s", i, data[i], altered[i], code, stdout.String())
		}
	}
}

// serverKID is the key id (RFC 7638 thumbprint) of the fixtures' server
// key, as an operator's records hold it.
func serverKID(t *testing.T) string {
	t.Helper()
	keys, err := receipt.NewKeyring(serverKey)
	require.NoError(t, err)
	return keys.KeyID()
}

// An attacker drops the newest receipt of a bundle (a withdrawal, say),
// adds a key of their own to its jwks and re-seals it with that key: every
// receipt still carries the server's genuine countersignature. The bundle
// must not pass on its own say-so, and fails against the published keys
// and against the key ids on record.
func TestBundleResealedByAnAttacker(t *testing.T) {
	data, err := os.ReadFile(fixture("v2-bundle.json"))
	require.NoError(t, err)
	var b proof.Bundle
	require.NoError(t, json.Unmarshal(data, &b))
	require.Greater(t, len(b.Receipts), 1)

	attacker, err := receipt.NewKeyring()
	require.NoError(t, err)
	var own, theirs jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(b.JWKS, &own))
	require.NoError(t, json.Unmarshal(attacker.JWKS(), &theirs))
	both, err := json.Marshal(jose.JSONWebKeySet{Keys: append(own.Keys, theirs.Keys...)})
	require.NoError(t, err)
	created, err := time.Parse(time.RFC3339, b.CreatedAt)
	require.NoError(t, err)
	forged, err := proof.Build(receipt.History{Subject: b.Subject, Receipts: b.Receipts[:len(b.Receipts)-1]}, both,
		proof.Embedded(), attacker, created)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "resealed.json")
	require.NoError(t, os.WriteFile(file, forged, 0o600))

	// What passed before: the bundle, checked against the keys it carries,
	// is internally consistent.
	v, err := proof.Verify(forged, nil)
	require.NoError(t, err, "the forgery is well made")
	assert.False(t, v.Pinned)

	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"ErrOnItsOwnSaySo", []string{"-bundle", file}, 3, "keys unverified"},
		{"ErrAgainstThePublishedKeys", []string{"-jwks", fixture("jwks.json"), "-bundle", file}, 1, "is not among the keys given"},
		{"ErrAgainstTheKeysOnRecord", []string{"-kids", serverKID(t), "-bundle", file}, 1, "is not among the key ids given"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tt.code, run(tt.args, &stdout, &stderr))
			assert.NotContains(t, stdout.String(), "OK")
			assert.Contains(t, stderr.String(), tt.stderr)
		})
	}
}

// writeAudit writes entries as the console's NDJSON export.
func writeAudit(t *testing.T, entries []console.Entry) string {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, e := range entries {
		require.NoError(t, enc.Encode(e))
	}
	file := filepath.Join(t.TempDir(), "audit.ndjson")
	require.NoError(t, os.WriteFile(file, buf.Bytes(), 0o600))
	return file
}

// An exported audit log verifies against the published keys; the same
// log with an entry deleted and the chain re-hashed does not.
func TestAudit(t *testing.T) {
	keys, err := receipt.NewKeyring(serverKey)
	require.NoError(t, err)
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	chain := func(log []console.Entry, e console.Entry) []console.Entry {
		if len(log) == 0 {
			e.Chain(nil)
		} else {
			e.Chain(&log[len(log)-1])
		}
		return append(log, e)
	}
	var log []console.Entry
	for i := range 6 {
		log = chain(log, console.Entry{At: at.Add(time.Duration(i) * time.Minute), Operator: "li.na", Role: console.Officer,
			Action: console.ActionViewSubject, Target: fmt.Sprintf("sub_%d", i), Outcome: console.OutcomeOK})
	}
	cp, err := console.NewCheckpoint(log[len(log)-1], at.Add(time.Hour), keys)
	require.NoError(t, err)
	log = chain(log, cp)
	var rehashed []console.Entry
	for i, e := range log {
		if i != 2 {
			rehashed = chain(rehashed, e)
		}
	}
	jwks := fixture("jwks.json")
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"OK", []string{"-jwks", jwks, "-audit", writeAudit(t, log)}, 0,
			"OK: audit log of 7 entries, each chained to the one before; 1 checkpoints signed by " + keys.KeyID() + " anchor it through entry 6; the last 1 entries", ""},
		{"ErrDeletedAndRehashed", []string{"-jwks", jwks, "-audit", writeAudit(t, rehashed)}, 1, "",
			"FAILED: audit[5]: checkpoint names entry 6, which is not before it"},
		{"ErrAnotherServersKeys", []string{"-jwks", fixture("other-jwks.json"), "-audit", writeAudit(t, log)}, 1, "",
			"FAILED: audit[6]: checkpoint of entry 6: countersignature: key"},
		{"ErrNoKeys", []string{"-audit", writeAudit(t, log)}, 2, "", "usage:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tt.code, run(tt.args, &stdout, &stderr), stderr.String())
			assert.Contains(t, stdout.String(), tt.stdout)
			assert.Contains(t, stderr.String(), tt.stderr)
		})
	}
}
