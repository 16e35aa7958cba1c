package pipeline

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/js"

	"github.com/kaiconn/consent/web"
)

func static(t *testing.T) fs.FS {
	t.Helper()
	s, err := fs.Sub(web.Static, "static")
	require.NoError(t, err)
	return s
}

func TestJoin(t *testing.T) {
	files := fstest.MapFS{
		"plain.js":       {Data: []byte("(function () { go(); })();\n")},
		"page.js":        {Data: []byte("//kc:include parts/a.js parts/b.js\n// page.js does this.\n(function () { a(); b(); })();\n")},
		"two-lines.js":   {Data: []byte("//kc:include parts/a.js\n//kc:include parts/b.js\nb();\n")},
		"late.js":        {Data: []byte("go();\n//kc:include parts/a.js\n")},
		"twice.js":       {Data: []byte("//kc:include parts/a.js parts/a.js\n")},
		"missing.js":     {Data: []byte("//kc:include parts/none.js\n")},
		"outside.js":     {Data: []byte("//kc:include plain.js\n")},
		"escape.js":      {Data: []byte("//kc:include parts/../plain.js\n")},
		"nested.js":      {Data: []byte("//kc:include parts/nests.js\n")},
		"parts/a.js":     {Data: []byte("function a() {}\n")},
		"parts/b.js":     {Data: []byte("function b() {}\n")},
		"parts/nests.js": {Data: []byte("//kc:include parts/a.js\nfunction n() {}\n")},
	}
	for _, tt := range []struct {
		name, file, want, err string
	}{
		{"OKNoPartsUnchanged", "plain.js", "(function () { go(); })();\n", ""},
		{"OKPartsFirstInOneFunction", "page.js", "(function () {\n\"use strict\";\nfunction a() {}\n\nfunction b() {}\n\n//kc:include parts/a.js parts/b.js\n// page.js does this.\n(function () { a(); b(); })();\n\n})();\n", ""},
		{"OKOneLineEach", "two-lines.js", "(function () {\n\"use strict\";\nfunction a() {}\n\nfunction b() {}\n\n//kc:include parts/a.js\n//kc:include parts/b.js\nb();\n\n})();\n", ""},
		{"OKOnlyTheHeaderCounts", "late.js", "go();\n//kc:include parts/a.js\n", ""},
		{"ErrTwice", "twice.js", "", "named twice"},
		{"ErrMissing", "missing.js", "", "parts/none.js"},
		{"ErrNotAPart", "outside.js", "", "not a part"},
		{"ErrEscapes", "escape.js", "", "not a part"},
		{"ErrPartNamesParts", "nested.js", "", "names parts itself"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Join(files, tt.file)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				assert.Contains(t, err.Error(), tt.file, "the error names the script")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

// Every script and stylesheet the server serves builds: its parts exist,
// and the minified script parses.
func TestEveryStaticFileBuilds(t *testing.T) {
	s := static(t)
	var scripts int
	require.NoError(t, fs.WalkDir(s, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || IsPart(name) || MediaType(name) == "" {
			return err
		}
		t.Run(name, func(t *testing.T) {
			src, err := fs.ReadFile(s, name)
			require.NoError(t, err)
			out, err := Build(s, name)
			require.NoError(t, err)
			assert.NotEmpty(t, out)
			if MediaType(name) == "text/javascript" {
				scripts++
				_, err := js.Parse(parse.NewInputBytes(out), js.Options{})
				assert.NoError(t, err, "the minified script parses")
				if len(Includes(src)) == 0 {
					assert.Less(t, len(out), len(src), "minified")
				}
			}
		})
		return nil
	}))
	assert.Positive(t, scripts)
}

// The gate's scripts are ES5 (old Android webviews): minified, they stay
// so, with no template literal or arrow function the source did not have.
func TestGateScriptsStayES5(t *testing.T) {
	for _, name := range []string{"bridge.js", "gate.js"} {
		t.Run(name, func(t *testing.T) {
			out, err := Build(static(t), name)
			require.NoError(t, err)
			assert.NotContains(t, string(out), "`")
			assert.NotContains(t, string(out), "=>")
		})
	}
}

// A part is served only inside the scripts that name it, each once.
func TestPartsAreShared(t *testing.T) {
	s := static(t)
	users := map[string][]string{}
	require.NoError(t, fs.WalkDir(s, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || IsPart(name) || MediaType(name) != "text/javascript" {
			return err
		}
		src, err := fs.ReadFile(s, name)
		for _, p := range Includes(src) {
			users[p] = append(users[p], name)
		}
		return err
	}))
	parts, err := fs.Glob(s, PartsDir+"/*.js")
	require.NoError(t, err)
	require.NotEmpty(t, parts)
	for _, p := range parts {
		assert.NotEmpty(t, users[p], "%s is named by no script", p)
	}
	assert.Subset(t, users["parts/host.js"], []string{"bridge.js", "settings.js", "permission.js"}, "one way to the host")
	assert.Subset(t, users["parts/retry.js"], []string{"bridge.js", "embed.js", "outbox.js"}, "one retry policy")
}

func TestCustomProperties(t *testing.T) {
	css := []byte(`/* tokens */
:root {
  --kc-bg: #fff;   /* page */
  --kc-font: "Noto Sans",
    sans-serif;
  color: red;
}
:root:lang(en) { --kc-font: serif; }
@media (prefers-color-scheme: dark) {
  :root[data-theme="dark"] { --kc-bg: #111; }
}
:root[data-theme="dark"] {
  --kc-bg: #000;
}
.open { --kc-bg: #eee;
`)
	for _, tt := range []struct {
		name, selector string
		want           map[string]string
		err            string
	}{
		{"OKFirstRule", ":root", map[string]string{"--kc-bg": "#fff", "--kc-font": `"Noto Sans", sans-serif`}, ""},
		{"OKTopLevelOnly", `:root[data-theme="dark"]`, map[string]string{"--kc-bg": "#000"}, ""},
		{"OKSpacesInSelectorIgnored", ` :root[data-theme="dark"] `, map[string]string{"--kc-bg": "#000"}, ""},
		{"ErrNoRule", ".none", nil, `no rule ".none"`},
		{"OKClosedByTheEnd", ".open", map[string]string{"--kc-bg": "#eee"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CustomProperties(css, tt.selector)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// The minifier keeps a script's meaning: strings, regular expressions and
// the statements automatic semicolon insertion ends.
func TestMinify(t *testing.T) {
	for _, tt := range []struct{ name, mediaType, in, want string }{
		{"OKCommentsAndSpaceGo", "text/javascript", "// why\nvar a = 1;  /* more */\n", "var a=1"},
		{"OKStringsKept", "text/javascript", `var u = "https://x // not a comment";`, `var u="https://x // not a comment"`},
		{"OKLineBreakEndsAStatement", "text/javascript", "var a = b\n(c)\n", "var a=b(c)"},
		{"OKCSS", "text/css", ".a {\n  color: #ffffff;\n}\n", ".a{color:#fff}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Minify(tt.mediaType, []byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, strings.TrimSpace(string(got)))
		})
	}
}
