package hygiene

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The layering each package's doc.go promises ("Must not import: ...") is
// the one the build has: a forbidden import anywhere in a package's
// dependencies, in the server build or the wasm build, fails here.
func TestArchitecture(t *testing.T) {
	m := loadModule(t, moduleRoot(t))
	require.NotEmpty(t, m.packages)
	for _, p := range m.packages {
		rules, err := m.rules(p)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, v := range m.violations(p, rules) {
			t.Errorf("%s\n\tfix the import, or the doc.go if the layering really changed", v)
		}
	}
}

// The check must see a forbidden import: a synthetic module whose domain
// package imports the web package its doc.go forbids.
func TestArchitectureCatchesForbiddenImport(t *testing.T) {
	m := loadModule(t, filepath.Join("testdata", "forbidden"))
	var got []string
	for _, p := range m.packages {
		rules, err := m.rules(p)
		require.NoError(t, err)
		got = append(got, m.violations(p, rules)...)
	}
	assert.Equal(t, []string{
		"domain must not import web (domain/doc.go), but depends on it: domain → domain/rules → web",
	}, got)
}

// Violations over fake import graphs: direct and transitive edges, what a
// path covers, and a package made only of tests.
func TestViolations(t *testing.T) {
	const mod = "example.com/m"
	for _, tc := range []struct {
		name     string
		imports  map[string][]string // module-relative, or full for others
		testOnly bool
		forbid   []string
		want     []string
	}{
		{
			name:    "Clean",
			imports: map[string][]string{"consent": {"errs"}, "errs": {"fmt"}},
			forbid:  []string{"server", "net/http"},
		},
		{
			name:    "Direct",
			imports: map[string][]string{"consent": {"server"}},
			forbid:  []string{"server"},
			want:    []string{"consent → server"},
		},
		{
			name:    "Transitive",
			imports: map[string][]string{"consent": {"lang"}, "lang": {"net/http"}},
			forbid:  []string{"net/http"},
			want:    []string{"consent → lang → net/http"},
		},
		{
			name:    "PathCoversPackagesBelow",
			imports: map[string][]string{"consent": {"store/sqlite"}},
			forbid:  []string{"store"},
			want:    []string{"consent → store/sqlite"},
		},
		{
			name:    "PrefixIsNotAPath",
			imports: map[string][]string{"consent": {"storefront"}},
			forbid:  []string{"store"},
		},
		{
			name:    "WholeModule",
			imports: map[string][]string{"consent": {"errs"}},
			forbid:  []string{mod},
			want:    []string{"consent → errs"},
		},
		{
			name:     "TestOnlyPackageIsCheckedThroughItsTests",
			imports:  map[string][]string{"consent [tests]": {"server"}},
			testOnly: true,
			forbid:   []string{"server"},
			want:     []string{"consent [tests] → server"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full := func(p string) string {
				if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") || p == "net/http" || p == "fmt" {
					return p
				}
				return mod + "/" + p
			}
			g := graph{}
			for from, tos := range tc.imports {
				for _, to := range tos {
					g[full(from)] = append(g[full(from)], full(to))
				}
			}
			m := &module{path: mod, graphs: map[string]graph{"host": g}}
			p := &pkg{path: full("consent"), rel: "consent", testOnly: tc.testOnly}
			var rules []rule
			for _, f := range tc.forbid {
				rules = append(rules, rule{item: f, target: full(f)})
			}
			var got []string
			for _, v := range m.violations(p, rules) {
				got = append(got, strings.ReplaceAll(v[strings.Index(v, ": ")+2:], mod+"/", ""))
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseForbidden(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []string
		err       string
	}{
		{"OneLine", "Package x does y.\n\nMust not import: server, api, store.\n", []string{"server", "api", "store"}, ""},
		{"Wrapped", "Package x.\n\nMust not import: server, api,\nnet/http, github.com/a-h/templ.\n", []string{"server", "api", "net/http", "github.com/a-h/templ"}, ""},
		{"Parenthetical", "Package x.\n\nMust not import: example.com/m (any package of this module, even errs),\nnet/http.\n", []string{"example.com/m", "net/http"}, ""},
		{"NoPeriod", "Package x.\n\nMust not import: server\n", []string{"server"}, ""},
		{"ErrMissing", "Package x does y.\n", nil, "no line"},
		{"ErrEmpty", "Package x.\n\nMust not import: .\n", nil, "names nothing"},
		{"ErrTwice", "Must not import: a.\n\nMust not import: b.\n", nil, "more than one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseForbidden(tc.doc)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// module is the import graph of a module's packages and of everything they
// depend on, once for the server build ("host") and once for the wasm.
type module struct {
	path     string
	root     string
	packages []*pkg
	graphs   map[string]graph // build name → graph
	known    map[string]bool  // every package path seen, and the standard library
}

// graph maps a package path to the paths it imports. A package's tests
// are a node of their own, "path [tests]".
type graph map[string][]string

type pkg struct {
	path, rel, dir string
	testOnly       bool // no code but doc.go: its tests are its code
}

type rule struct {
	item   string // as written in doc.go
	target string // the import path it stands for
}

type listed struct {
	ImportPath, ForTest, Name, Dir string
	GoFiles, Imports               []string
	Module                         *struct {
		Path string
		Main bool
	}
	Error *struct{ Err string }
}

func goList(t *testing.T, dir string, env []string, args ...string) []listed {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-e", "-json=ImportPath,ForTest,Name,Dir,GoFiles,Imports,Module,Error"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"GOWORK=off"}, env...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	var all []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var l listed
		if err := dec.Decode(&l); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		all = append(all, l)
	}
	return all
}

// loadModule reads the module in dir through the go command.
func loadModule(t *testing.T, dir string) *module {
	t.Helper()
	out, err := exec.Command("go", "-C", dir, "list", "-m").Output()
	require.NoError(t, err)
	m := &module{path: strings.TrimSpace(string(out)), root: dir, graphs: map[string]graph{}, known: map[string]bool{}}
	strip := func(p string) string { return strings.TrimSuffix(strings.SplitN(p, " [", 2)[0], "_test") }
	for _, b := range []struct {
		name string
		env  []string
	}{{"host", nil}, {"wasm", []string{"GOOS=js", "GOARCH=wasm"}}} {
		args := []string{"-deps", "./..."}
		if b.name == "host" {
			args = append([]string{"-test"}, args...)
		}
		g := graph{}
		for _, l := range goList(t, dir, b.env, args...) {
			switch {
			case strings.HasSuffix(l.ImportPath, ".test"):
				continue // the generated test main
			case l.ForTest != "" && strip(l.ImportPath) == l.ForTest:
				// The package with its tests, or its external tests.
				node := l.ForTest + " [tests]"
				for _, imp := range l.Imports {
					if imp = strings.SplitN(imp, " [", 2)[0]; imp != l.ForTest && !slices.Contains(g[node], imp) {
						g[node] = append(g[node], imp)
					}
				}
				continue
			case l.ForTest != "":
				continue // a dependency recompiled for a test: same imports as itself
			}
			if l.Error != nil && b.name == "host" && l.Module != nil && l.Module.Main {
				t.Fatalf("go list %s: %s", l.ImportPath, l.Error.Err)
			}
			m.known[l.ImportPath] = true
			g[l.ImportPath] = l.Imports
			if b.name == "host" && l.Module != nil && l.Module.Main {
				rel, _ := strings.CutPrefix(l.ImportPath, m.path+"/")
				code := slices.DeleteFunc(slices.Clone(l.GoFiles), func(f string) bool { return f == "doc.go" })
				m.packages = append(m.packages, &pkg{path: l.ImportPath, rel: rel, dir: l.Dir, testOnly: len(code) == 0})
			}
		}
		m.graphs[b.name] = g
	}
	std, err := exec.Command("go", "list", "std").Output()
	require.NoError(t, err)
	for _, p := range strings.Fields(string(std)) {
		m.known[p] = true
	}
	sort.Slice(m.packages, func(i, j int) bool { return m.packages[i].path < m.packages[j].path })
	return m
}

// rules reads the package's doc.go: it must exist, carry the package
// comment (no other file may), and end with the "Must not import" line,
// whose every item must name something that exists.
func (m *module) rules(p *pkg) ([]rule, error) {
	docPath := filepath.Join(p.dir, "doc.go")
	rel, _ := filepath.Rel(m.root, docPath)
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, docPath, nil, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("%s: every package needs a doc.go with its package comment: %v", p.rel, err)
	}
	if f.Doc == nil {
		return nil, fmt.Errorf("%s: has no package comment", rel)
	}
	others, _ := filepath.Glob(filepath.Join(p.dir, "*.go"))
	for _, o := range others {
		if o == docPath || strings.HasSuffix(o, "_test.go") {
			continue
		}
		of, err := parser.ParseFile(fset, o, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err == nil && of.Doc != nil {
			orel, _ := filepath.Rel(m.root, o)
			return nil, fmt.Errorf("%s: the package comment belongs in doc.go alone", orel)
		}
	}
	items, err := parseForbidden(f.Doc.Text())
	if err != nil {
		return nil, fmt.Errorf("%s: %v", rel, err)
	}
	var rules []rule
	for _, item := range items {
		target, ok := m.resolve(item)
		if !ok {
			return nil, fmt.Errorf("%s: %q is neither a path in this module nor a package anything here could import", rel, item)
		}
		rules = append(rules, rule{item: item, target: target})
	}
	return rules, nil
}

// resolve turns an item into an import path: module-relative first, else
// a full path, which must name a package (or a tree of packages) known to
// the build or the standard library.
func (m *module) resolve(item string) (string, bool) {
	covers := func(path string) bool {
		for k := range m.known {
			if k == path || strings.HasPrefix(k, path+"/") {
				return true
			}
		}
		return false
	}
	if p := m.path + "/" + item; covers(p) {
		return p, true
	}
	return item, covers(item)
}

var (
	forbiddenLine  = regexp.MustCompile(`(?ms)^Must not import:(.*?)(?:\.(?:\s|\z)|\n\n|\z)`)
	parenthetical  = regexp.MustCompile(`\([^)]*\)`)
	itemSeparators = regexp.MustCompile(`\s*,\s*|\s+`)
)

// parseForbidden reads the items of the "Must not import:" line of a
// package comment: comma-separated paths, up to the full stop, possibly
// wrapped over lines, with remarks in parentheses ignored.
func parseForbidden(doc string) ([]string, error) {
	found := forbiddenLine.FindAllStringSubmatch(doc, -1)
	switch len(found) {
	case 0:
		return nil, errors.New(`no line "Must not import: a, b." in the package comment`)
	case 1:
	default:
		return nil, errors.New(`more than one "Must not import:" line`)
	}
	list := parenthetical.ReplaceAllString(found[0][1], "")
	var items []string
	for _, item := range itemSeparators.Split(strings.TrimSpace(list), -1) {
		if item != "" {
			items = append(items, item)
		}
	}
	if len(items) == 0 {
		return nil, errors.New(`"Must not import:" names nothing`)
	}
	return items, nil
}

// violations lists, for each forbidden path that the package reaches in
// any build, one shortest chain of imports that reaches it.
func (m *module) violations(p *pkg, rules []rule) []string {
	start := p.path
	if p.testOnly {
		start = p.path + " [tests]"
	}
	var out []string
	seen := map[string]bool{}
	for _, build := range []string{"host", "wasm"} {
		g, ok := m.graphs[build]
		if !ok {
			continue
		}
		// Breadth first, so that the chain reported is a shortest one.
		parent := map[string]string{start: ""}
		queue := []string{start}
		for len(queue) > 0 {
			n := queue[0]
			queue = queue[1:]
			for _, next := range g[n] {
				if _, ok := parent[next]; ok || next == p.path {
					continue
				}
				parent[next] = n
				queue = append(queue, next)
				for _, r := range rules {
					if (next != r.target && !strings.HasPrefix(next, r.target+"/")) || seen[r.item] {
						continue
					}
					seen[r.item] = true
					var chain []string
					for c := next; c != ""; c = parent[c] {
						chain = append([]string{strings.TrimPrefix(c, m.path+"/")}, chain...)
					}
					out = append(out, fmt.Sprintf("%s must not import %s (%s/doc.go), but depends on it: %s",
						p.rel, r.item, p.rel, strings.Join(chain, " → ")))
				}
			}
		}
	}
	return out
}
