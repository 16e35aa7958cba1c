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

var update = flag.Bool("update", false, "rewrite the README's layout table (make generate)")

const (
	layoutBegin = "<!-- layout:begin -->"
	layoutEnd   = "<!-- layout:end -->"
)

// The README's layout table is the first sentence of each package's doc,
// so the two cannot disagree; make generate rewrites it.
func TestLayoutTable(t *testing.T) {
	root := moduleRoot(t)
	readme := filepath.Join(root, "README.md")
	have, err := os.ReadFile(readme)
	require.NoError(t, err)
	begin := bytes.Index(have, []byte(layoutBegin))
	end := bytes.Index(have, []byte(layoutEnd))
	require.True(t, begin >= 0 && end > begin, "README.md needs %s and %s around the layout table", layoutBegin, layoutEnd)
	table := layoutTable(t, root)
	want := slices.Concat(have[:begin+len(layoutBegin)], []byte("\n"+table), have[end:])
	if *update {
		require.NoError(t, os.WriteFile(readme, want, 0o644))
		return
	}
	got := string(have[begin+len(layoutBegin) : end])
	require.Equal(t, "\n"+table, got, "the README's layout table is stale: run make generate")
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
