package hygiene

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the generated sections of docs/development.md and README.md (make generate)")

// developmentPage holds the sections generated from the code: the layout
// table and the list of make targets.
const developmentPage = "docs/development.md"

// The layout table is the first sentence of each package's doc, so the two
// cannot disagree; make generate rewrites it.
func TestLayoutTable(t *testing.T) {
	root := moduleRoot(t)
	generatedSection(t, filepath.Join(root, developmentPage), "layout", layoutTable(t, root))
}

// The list of make targets is make help's output, so a target added to the
// Makefile shows up in the docs.
func TestMakeHelp(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	root := moduleRoot(t)
	cmd := exec.Command("make", "--no-print-directory", "-s", "help")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err, "make help")
	generatedSection(t, filepath.Join(root, developmentPage), "make-help", "```\n"+string(out)+"```\n")
}

// generatedSection checks that file holds content between the markers
// <!-- name:begin --> and <!-- name:end -->, or writes it there under
// -update.
func generatedSection(t *testing.T, file, name, content string) {
	t.Helper()
	begin, end := "<!-- "+name+":begin -->", "<!-- "+name+":end -->"
	have, err := os.ReadFile(file)
	require.NoError(t, err)
	b := bytes.Index(have, []byte(begin))
	e := bytes.Index(have, []byte(end))
	require.True(t, b >= 0 && e > b, "%s needs %s and %s around its generated section", file, begin, end)
	if *update {
		want := slices.Concat(have[:b+len(begin)], []byte("\n"+content), have[e:])
		require.NoError(t, os.WriteFile(file, want, 0o644))
		return
	}
	got := string(have[b+len(begin) : e])
	require.Equal(t, "\n"+content, got, "%s: the %s section is stale: run make generate", file, name)
}

// layoutTable is a markdown table of every package and the first sentence
// of its doc, without the "Package x" that only repeats the path.
func layoutTable(t *testing.T, root string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Name}}\t{{.Doc}}", "./...")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err)
	module, err := exec.Command("go", "-C", root, "list", "-m").Output()
	require.NoError(t, err)
	var b strings.Builder
	b.WriteString("| package | what it holds |\n|---|---|\n")
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, rest, _ := strings.Cut(line, "\t")
		name, doc, _ := strings.Cut(rest, "\t")
		require.NotEmpty(t, doc, "%s has no package doc", path)
		rel := strings.TrimPrefix(path, strings.TrimSpace(string(module))+"/")
		for _, prefix := range []string{"Package " + name + " ", "Command " + filepath.Base(rel) + " "} {
			doc = strings.TrimPrefix(doc, prefix)
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", rel, strings.ReplaceAll(doc, "|", `\|`))
	}
	return b.String()
}
