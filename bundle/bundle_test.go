package bundle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	catalogues "github.com/kaiconn/consent/locales/catalogue"
	"github.com/kaiconn/consent/locales/localestest"
	policydata "github.com/kaiconn/consent/locales/policy"
	"github.com/kaiconn/consent/server"
)

const testOrigin = "https://consent.example.com:8443"

// fakeWeb is a WebDir with stand-ins for the built wasm: the bundle copies
// them as the server serves them, whatever they hold.
func fakeWeb(t testing.TB) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wasm_exec.js"), []byte("// wasm_exec stand-in\n"), 0o644))
	return dir
}

var (
	shared     sync.Once
	sharedDir  string
	sharedMan  *Manifest
	sharedErr  error
	sharedTemp string
)

// built is one bundle of the embedded policy, shared by the tests that
// only read it (a build renders about a hundred pages).
func built(t *testing.T) (string, *Manifest) {
	t.Helper()
	shared.Do(func() {
		sharedTemp, sharedErr = os.MkdirTemp("", "kaiconn-bundle-test-")
		if sharedErr != nil {
			return
		}
		web := filepath.Join(sharedTemp, "web")
		if sharedErr = os.MkdirAll(web, 0o755); sharedErr != nil {
			return
		}
		os.WriteFile(filepath.Join(web, "app.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
		os.WriteFile(filepath.Join(web, "wasm_exec.js"), []byte("// wasm_exec stand-in\n"), 0o644)
		sharedDir = filepath.Join(sharedTemp, "out")
		sharedMan, sharedErr = Build(context.Background(), Options{Origin: testOrigin, Out: sharedDir, WebDir: web})
	})
	require.NoError(t, sharedErr)
	return sharedDir, sharedMan
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedTemp != "" {
		os.RemoveAll(sharedTemp)
	}
	os.Exit(code)
}

func TestManifest(t *testing.T) {
	dir, m := built(t)
	var onDisk Manifest
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &onDisk))
	assert.Equal(t, *m, onDisk, "manifest.json is what Build returned")

	t.Run("NamesTheShippedVersionAndOrigin", func(t *testing.T) {
		assert.Equal(t, 1, m.V)
		assert.Equal(t, localestest.Newest(t), m.PolicyVersion)
		assert.Equal(t, testOrigin, m.Origin)
		assert.ElementsMatch(t, []string{"en", "zh-Hans"}, m.Languages)
	})
	t.Run("EveryEntryExists", func(t *testing.T) {
		for _, name := range []string{"gate", "settings", "policy", "collected", "shared", "permission", "rights", "contact"} {
			entry, ok := m.Entries[name]
			require.True(t, ok, name)
			file, _, _ := strings.Cut(entry, "#")
			assert.FileExists(t, filepath.Join(dir, file), name)
		}
		assert.Equal(t, "consent/index.html", m.Entries["gate"])
	})
	t.Run("EveryPageInBothLanguages", func(t *testing.T) {
		for key, byLang := range m.Pages {
			for _, l := range m.Languages {
				assert.FileExists(t, filepath.Join(dir, byLang[l]), key+" "+l)
			}
		}
		perms := 0
		for key := range m.Pages {
			if strings.HasPrefix(key, "permission/") {
				perms++
			}
		}
		assert.Positive(t, perms, "the permission pages")
	})
	t.Run("HashesEveryFile", func(t *testing.T) {
		seen := map[string]bool{}
		require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			name := filepath.ToSlash(must(filepath.Rel(dir, p)))
			if name == "manifest.json" {
				return nil
			}
			seen[name] = true
			body, err := os.ReadFile(p)
			require.NoError(t, err)
			sum := sha256.Sum256(body)
			assert.Equal(t, hex.EncodeToString(sum[:]), m.Files[name], name)
			return nil
		}))
		assert.Len(t, m.Files, len(seen), "no file listed that is not there")
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// links returns every URL-valued attribute of an HTML file.
func links(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	doc, err := html.Parse(f)
	require.NoError(t, err)
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch a.Key {
				case "href", "src", "action", "data-wasm", "data-wasm-exec", "data-engine":
					out = append(out, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func TestLinks(t *testing.T) {
	dir, m := built(t)
	for name := range m.Files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			for _, raw := range links(t, filepath.Join(dir, name)) {
				u, err := url.Parse(raw)
				require.NoError(t, err, raw)
				switch {
				case u.Scheme == "mailto" || u.Scheme == "tel":
				case u.Scheme == "https" && u.Host != "consent.example.com:8443":
					// Another party's page (an SDK's privacy policy): the
					// person opens it; nothing loads it.
				case u.Scheme != "":
					assert.True(t, strings.HasPrefix(raw, testOrigin+"/"), "%s: only the consent server is reached: %s", name, raw)
				case strings.HasPrefix(raw, "/"):
					t.Errorf("%s: %s is absolute: it would name the app's asset host, not a file of the bundle", name, raw)
				case u.Path == "":
					// #fragment
				default:
					target := path.Join(path.Dir(name), u.Path)
					_, ok := m.Files[target]
					assert.True(t, ok, "%s: %s names %s, which the bundle does not hold", name, raw, target)
				}
			}
		})
	}
}

func TestPages(t *testing.T) {
	dir, m := built(t)
	ticket := regexp.MustCompile(`t1\.[0-9a-f-]{36}\.`)
	for name := range m.Files {
		if !strings.HasSuffix(name, ".html") || strings.HasSuffix(name, "index.html") {
			continue
		}
		body, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		page := string(body)
		t.Run(name, func(t *testing.T) {
			assert.NotRegexp(t, ticket, page, "no ticket of the build's server")
			assert.Contains(t, page, `<meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="`)
			assert.Contains(t, page, "connect-src 'self' "+testOrigin+";")
			assert.Contains(t, page, "form-action 'self' "+testOrigin+";")
			assert.NotContains(t, page, "frame-ancestors", "a meta policy cannot carry it")
			assert.Contains(t, page, `<meta name="kaiconn-origin" content="`+testOrigin+`">`)
			assert.Contains(t, page, `<meta name="kaiconn-policy-version" content="`+localestest.Newest(t)+`">`)
		})
	}
	t.Run("TheGateHasNoReceiptIdOfItsOwn", func(t *testing.T) {
		body, err := os.ReadFile(filepath.Join(dir, "consent/en.html"))
		require.NoError(t, err)
		m := regexp.MustCompile(`(?s)<script id="kc-gate" type="application/json">(.*?)</script>`).FindSubmatch(body)
		require.NotNil(t, m)
		var data struct {
			Ticket    *string `json:"ticket"`
			ReceiptID *string `json:"receiptId"`
		}
		require.NoError(t, json.Unmarshal(m[1], &data))
		require.NotNil(t, data.ReceiptID)
		assert.Empty(t, *data.ReceiptID)
		assert.Empty(t, *data.Ticket)
		assert.Contains(t, string(body), `action="`+testOrigin+`/consent"`, "the decision posts to the consent server")
		assert.Contains(t, string(body), `class="kc-gate__lang" href="zh-Hans.html?open=1"`, "the language switch stays in the bundle, offline too")
	})
	t.Run("TheGateSignsWithTheDeviceOutbox", func(t *testing.T) {
		for _, l := range m.Languages {
			body, err := os.ReadFile(filepath.Join(dir, "consent", l+".html"))
			require.NoError(t, err)
			page := string(body)
			outbox := regexp.MustCompile(`<script src="\.\./(static/outbox\.[0-9a-f]+\.js)" defer></script><script src="\.\./bundle\.js" defer></script><script src="\.\./newer\.js" defer></script><script src="\.\./static/gate\.`).FindStringSubmatch(page)
			require.NotNil(t, outbox, "outbox.js, bundle.js and newer.js run after bridge.js and before gate.js")
			assert.Contains(t, m.Files, outbox[1], "the settings page's own outbox.js")
			assert.Less(t, strings.Index(page, "/bridge."), strings.Index(page, "/bundle.js"))
		}
		assert.Contains(t, m.Files, "bundle.js")
		assert.Contains(t, m.Files, "newer.js")
	})
	t.Run("TheSettingsQueueLikeTheGate", func(t *testing.T) {
		// A change decided by the wasm on the settings goes to bundle.js's
		// queue, which needs the outbox loaded before it; newer.js, after
		// it, shows a newer policy there too.
		for _, l := range m.Languages {
			body, err := os.ReadFile(filepath.Join(dir, "settings", l+".html"))
			require.NoError(t, err)
			page := string(body)
			assert.Regexp(t, `<script src="\.\./static/outbox\.[0-9a-f]+\.js" defer></script><script src="\.\./bundle\.js" defer></script><script src="\.\./newer\.js" defer></script>`, page)
			assert.Equal(t, 1, strings.Count(page, "bundle.js"), "once")
			assert.Equal(t, 1, strings.Count(page, "newer.js"), "once")
		}
	})
}

// TestSameMarkupAsTheServer holds each bundle page's text to the text of
// the server's own page for a first launch: the bundle renders nothing
// itself.
func TestSameMarkupAsTheServer(t *testing.T) {
	dir, _ := built(t)
	s, err := throwawayServer(server.Config{WebDir: fakeWeb(t), PurgeEvery: -1})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	for _, tc := range []struct{ name, url, file string }{
		{"Gate", "/consent?lang=zh-Hans", "consent/zh-Hans.html"},
		{"Settings", "/settings/privacy?lang=en", "settings/en.html"},
		{"Policy", "/privacy?lang=en", "privacy/en.html"},
		{"PolicyBilingual", "/privacy?lang=zh-Hans&view=bilingual", "privacy/zh-Hans.bilingual.html"},
		{"Collected", "/privacy/collected?lang=zh-Hans", "collected/zh-Hans.html"},
		{"Shared", "/privacy/shared?lang=en", "shared/en.html"},
		{"Permission", "/permission?lang=en&p=s2-3-perms-1", "permission/s2-3-perms-1/en.html"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.url, nil))
			require.Equal(t, http.StatusOK, rec.Code)
			// The server's page names the receipt id of its ticket; the
			// bundle's names none (TestPages).
			uuid := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
			want := strings.Join(strings.Fields(uuid.ReplaceAllString(text(t, rec.Body), "")), " ")
			got := text(t, bytes.NewReader(must(os.ReadFile(filepath.Join(dir, tc.file)))))
			assert.Equal(t, want, got)
			assert.Greater(t, len(got), 200, "a page with content")
		})
	}
}

// text is the visible text of an HTML page, without the state blocks
// (their tickets and URLs differ by design).
func text(t *testing.T, r io.Reader) string {
	doc, err := html.Parse(r)
	require.NoError(t, err)
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(strings.TrimSpace(n.Data))
			b.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return strings.Join(strings.Fields(b.String()), " ")
}

func TestOptions(t *testing.T) {
	for _, tc := range []struct{ name, origin, err string }{
		{"ErrFTP", "ftp://consent.example.com", "is not scheme://host"},
		{"ErrPath", "https://consent.example.com/app", "is not scheme://host"},
		{"ErrQuery", "https://consent.example.com?x=1", "is not scheme://host"},
		{"ErrUser", "https://me@consent.example.com", "is not scheme://host"},
		{"ErrNoHost", "https://", "is not scheme://host"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "b")
			_, err := Build(context.Background(), Options{Origin: tc.origin, Out: out, WebDir: fakeWeb(t)})
			require.ErrorContains(t, err, tc.err)
			assert.NoDirExists(t, out)
		})
	}
	t.Run("ErrNoWasm", func(t *testing.T) {
		_, err := Build(context.Background(), Options{Out: filepath.Join(t.TempDir(), "b"), WebDir: t.TempDir()})
		require.ErrorContains(t, err, "run make wasm")
	})
	t.Run("ErrLeavesAnotherDirectoryAlone", func(t *testing.T) {
		out := t.TempDir()
		keep := filepath.Join(out, "notes.txt")
		require.NoError(t, os.WriteFile(keep, []byte("mine"), 0o644))
		_, err := Build(context.Background(), Options{Out: out, WebDir: fakeWeb(t)})
		require.ErrorContains(t, err, "holds no manifest.json")
		assert.FileExists(t, keep)
	})
	t.Run("OKReplacesAnEarlierBundle", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "b")
		web := fakeWeb(t)
		_, err := Build(context.Background(), Options{Out: out, WebDir: web})
		require.NoError(t, err)
		stale := filepath.Join(out, "stale.html")
		require.NoError(t, os.WriteFile(stale, nil, 0o644))
		m, err := Build(context.Background(), Options{Out: out, WebDir: web})
		require.NoError(t, err)
		assert.NoFileExists(t, stale, "nothing of the earlier bundle is left")
		assert.Equal(t, DefaultOrigin, m.Origin)
	})
	t.Run("OKTheNewestPolicy", func(t *testing.T) {
		cat, pol := laterPolicy(t)
		m, err := Build(context.Background(), Options{Out: filepath.Join(t.TempDir(), "b"), WebDir: fakeWeb(t), CatalogueFS: cat, PolicyFS: pol})
		require.NoError(t, err)
		assert.Equal(t, localestest.Later, m.PolicyVersion)
	})
}

// laterPolicy is the embedded policy with the fictitious 2026-12 version
// of testdata added.
func laterPolicy(t testing.TB) (fs.FS, fs.FS) {
	cat, pol := fstest.MapFS{}, fstest.MapFS{}
	copyInto(t, cat, catalogues.FS)
	copyInto(t, pol, policydata.FS)
	cat["2026-12.toml"] = &fstest.MapFile{Data: must(os.ReadFile("../testdata/catalogue/2026-12.toml"))}
	for _, l := range []string{"en", "zh-Hans"} {
		pol["2026-12/"+l+".md"] = &fstest.MapFile{Data: must(os.ReadFile("../testdata/policy/2026-12/" + l + ".md"))}
	}
	return cat, pol
}

func copyInto(t testing.TB, m fstest.MapFS, fsys fs.FS) {
	require.NoError(t, fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		m[p] = &fstest.MapFile{Data: must(fs.ReadFile(fsys, p))}
		return nil
	}))
}
