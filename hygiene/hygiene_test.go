package hygiene

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err)
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// The wasm is downloaded by every reader: a store, the API or a database
// driver in it would double its size and ship server code to browsers.
func TestWasmCarriesNoServerCode(t *testing.T) {
	root := moduleRoot(t)
	cmd := exec.Command("go", "list", "-deps", "./app")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/maxence-charriere/go-app/v10/pkg/app", "the wasm entry should be the go-app layer")
	// A path ending in "/..." forbids the package and every package below
	// it; any other path, that package alone.
	forbidden := []string{
		"github.com/kaiconn/consent/server/...",
		"github.com/kaiconn/consent/api/...",
		"github.com/kaiconn/consent/store/...",
		// The wasm renders the gate with the server's own templ view
		// (issue 20: one markup per surface), views/gate, which reads view
		// models and resolved strings; the other views stay on the server.
		"github.com/kaiconn/consent/views",
		"modernc.org/sqlite/...",
		"github.com/jackc/pgx/...",
		"database/sql",
		"net/http/httptest",
		"github.com/go-chi/chi/...",
		// The JOSE library is the server's countersigning; in the wasm its
		// key types would only add weight.
		"github.com/go-jose/go-jose/...",
		// The page hands the wasm resolved strings and render trees as
		// JSON (issue 11): the parsers of message files, templates, TOML,
		// language tags and the policy stay on the server, which reads
		// those files, and so do the embedded files themselves. The wasm
		// has lang/texts, the strings without their loader.
		// templ's runtime brings html/template with it (templ.ToGoHTML),
		// which the wasm never calls; no other package may.
		"github.com/BurntSushi/toml/...",
		"github.com/nicksnyder/go-i18n/...",
		"golang.org/x/text/...",
		"github.com/kaiconn/consent/lang",
		"github.com/kaiconn/consent/policy/...",
		"github.com/kaiconn/consent/locales/...",
		// The policy and its lists are documents: the server renders
		// them whole and web/static/reader.js searches them (issue 11).
		"github.com/kaiconn/consent/policyview",
		"github.com/kaiconn/consent/lists",
		// The device outbox is web/static/outbox.js (docs/outbox.md): the
		// wasm hands the server's orders to it and signs nothing itself,
		// so the receipt format, its canonical JSON and the mapping from
		// decisions stay on the server.
		"github.com/kaiconn/consent/outbox",
		"github.com/kaiconn/consent/receipt/...",
		"github.com/kaiconn/consent/consentreceipt",
		"github.com/kaiconn/consent/notice",
		"github.com/gowebpki/jcs",
	}
	for _, d := range deps {
		for _, f := range forbidden {
			tree, ok := strings.CutSuffix(f, "/...")
			hit := d == f || ok && (d == tree || strings.HasPrefix(d, tree+"/"))
			assert.False(t, hit, "wasm depends on %s", d)
		}
	}
}

// Generated templ code is committed; a .templ edit without regenerating
// would ship the old page.
func TestTemplGeneratedFilesAreFresh(t *testing.T) {
	root := moduleRoot(t)
	var templs []string
	require.NoError(t, filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if strings.HasSuffix(path, ".templ") {
			templs = append(templs, path)
		}
		return nil
	}))
	require.NotEmpty(t, templs)
	// The go command resolves the tool once: through go tool, each file
	// cost seconds of the go command's own start-up.
	cmd := exec.Command("go", "tool", "-n", "templ")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err, "go tool -n templ")
	templ := strings.TrimSpace(string(out))
	for _, src := range templs {
		rel, _ := filepath.Rel(root, src)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			// templ writes to stdout only when -f names a file in the
			// working directory.
			cmd := exec.Command(templ, "generate", "-f", filepath.Base(src), "-stdout")
			cmd.Dir = filepath.Dir(src)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			want, err := cmd.Output()
			require.NoError(t, err, "%s", stderr.String())
			require.NotEmpty(t, want, "templ generated nothing for %s", rel)
			// Generated from the module root (make generate), error
			// positions name the file relative to the root.
			want = bytes.ReplaceAll(want, []byte("FileName: `"+filepath.Base(src)+"`"), []byte("FileName: `"+filepath.ToSlash(rel)+"`"))
			have, err := os.ReadFile(strings.TrimSuffix(src, ".templ") + "_templ.go")
			require.NoError(t, err, "generated file missing: run make generate")
			assert.True(t, bytes.Equal(want, have), "%s_templ.go is stale: run make generate", strings.TrimSuffix(rel, ".templ"))
		})
	}
}
