package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/locales/localestest"
)

// root is the module's root, from this package's directory.
var root = filepath.Join("..", "..")

// The shipped facts make policy-version derives: each fails when a version
// was added to locales/ without running it.
func TestShippedIsDerived(t *testing.T) {
	sh, err := loadShipped(root)
	require.NoError(t, err, "every shipped version loads with its catalogue, each held to the other")
	newest := sh.catalogues[len(sh.catalogues)-1]
	assert.Equal(t, localestest.Shipped(t), sh.versions(), "one catalogue per policy version")

	t.Run("Latest", func(t *testing.T) {
		assert.Equal(t, newest.Version(), catalogues.Latest, "catalogue.Latest is the newest version: run make policy-version")
		assert.Equal(t, sh.lib.Latest().ID, catalogues.Latest)
		have, err := os.ReadFile(filepath.Join(root, latestFile))
		require.NoError(t, err)
		assert.Equal(t, string(latestSource(newest.Version())), string(have), "%s is stale: run make policy-version", latestFile)
	})
	// The app's SDKs are the policy's SDK table: each row is one purpose's
	// SDK, so the bridge table lists every SDK the policy names.
	t.Run("SDKsAreThePolicysTable", func(t *testing.T) {
		zh, ok := sh.lib.Latest().Doc("zh-Hans")
		require.True(t, ok)
		var rows, functions []string
		for _, r := range zh.SDKs() {
			rows = append(rows, r.ID)
		}
		for _, p := range newest.Purposes("first-launch") {
			for _, f := range p.Functions {
				if f.SDK != "" {
					functions = append(functions, f.SDK)
				}
			}
		}
		assert.ElementsMatch(t, rows, functions)
	})
}

func TestCodeCalls(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Call", "CrashReport.initCrashReport(context, appId, false)", "`CrashReport.initCrashReport(context, appId, false)`"},
		{"Chained", "PushManager.getInstance().initialize(context)", "`PushManager.getInstance().initialize(context)`"},
		{"TwoCalls", "WXAPIFactory.createWXAPI(context, appId, true) then api.registerApp(appId)", "`WXAPIFactory.createWXAPI(context, appId, true)` then `api.registerApp(appId)`"},
		{"ProseInParentheses", "A.b(c) (D has the same pair)", "`A.b(c)` (D has the same pair)"},
		{"NestedAndQuoted", `U.init(c, k, U.T, "")`, "`U.init(c, k, U.T, \"\")`"},
		{"Unbalanced", "A.b(c", "A.b(c"},
		{"Pipe", "a | b", `a \| b`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, codeCalls(tc.in))
		})
	}
}

func TestChangedHashes(t *testing.T) {
	before := []byte("2022-10/en.md aaa\n2022-10/zh-Hans.md bbb\n")
	t.Run("OKAdded", func(t *testing.T) {
		assert.Empty(t, changedHashes(before, append(before, "2027-03/en.md ccc\n"...)))
	})
	t.Run("ErrEdited", func(t *testing.T) {
		assert.Equal(t, []string{"2022-10/zh-Hans.md"}, changedHashes(before, []byte("2022-10/en.md aaa\n2022-10/zh-Hans.md bbc\n")))
	})
	t.Run("ErrRemoved", func(t *testing.T) {
		assert.Equal(t, []string{"2022-10/en.md"}, changedHashes(before, []byte("2022-10/zh-Hans.md bbb\n")))
	})
}

// A release of the fixture's later version, in a copy of locales/ holding
// the base version and it: it loads as shipped, becomes Latest, adds the
// sensors SDK's call to the bridge table, and re-asks what changed.
func TestRehearsedRelease(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(dir, "locales", "policy"), localestest.Policy(t, localestest.Base, localestest.Later)))
	require.NoError(t, os.CopyFS(filepath.Join(dir, "locales", "catalogue"), localestest.Catalogues(t, localestest.Base, localestest.Later)))
	sh, err := loadShipped(dir)
	require.NoError(t, err)
	require.Equal(t, []string{localestest.Base, localestest.Later}, sh.versions())
	newest := sh.catalogues[1]

	assert.Contains(t, string(latestSource(newest.Version())), `const Latest = "`+localestest.Later+`"`)
	assert.Contains(t, sdkCallTable(newest), "| `sensors` | Sensors Analytics SDK | — | `SensorsDataAPI.startWithConfigOptions(context, options)` |\n")
	summary := reaskSummary(sh.catalogues[0], newest)
	assert.Contains(t, summary, "first-launch: location (Location services), changed; collects also WLAN scan results\n")
	assert.Contains(t, summary, "first-launch: sensors (Behaviour analytics), new\n")
	assert.Contains(t, summary, "web-banner: nothing\n")

	t.Run("PreviewState", func(t *testing.T) {
		state, err := previewState(sh.catalogues[0])
		require.NoError(t, err)
		raw, err := base64.RawURLEncoding.DecodeString(state)
		require.NoError(t, err)
		var msg struct {
			V             int             `json:"v"`
			Decision      string          `json:"decision"`
			PolicyVersion string          `json:"policyVersion"`
			Purposes      map[string]bool `json:"purposes"`
		}
		require.NoError(t, json.Unmarshal(raw, &msg))
		assert.Equal(t, 2, msg.V)
		assert.Equal(t, "agreed", msg.Decision)
		assert.Equal(t, localestest.Base, msg.PolicyVersion)
		assert.Len(t, msg.Purposes, len(sh.catalogues[0].Purposes("first-launch")))
		assert.NotContains(t, msg.Purposes, "sensors", "the purposes of the version agreed to")
	})
	t.Run("ErrCatalogueWithoutPolicy", func(t *testing.T) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "locales", "catalogue", "2030-01.toml"), []byte(`version = "2030-01"`), 0o644))
		_, err := loadShipped(dir)
		assert.ErrorContains(t, err, "locales/catalogue/2030-01.toml: no policy text locales/policy/2030-01/ for it")
	})
	t.Run("ErrPolicyWithoutCatalogue", func(t *testing.T) {
		require.NoError(t, os.Remove(filepath.Join(dir, "locales", "catalogue", "2030-01.toml")))
		require.NoError(t, os.Remove(filepath.Join(dir, "locales", "catalogue", localestest.Later+".toml")))
		_, err := loadShipped(dir)
		assert.ErrorContains(t, err, "locales/catalogue/"+localestest.Later+".toml")
	})
}
