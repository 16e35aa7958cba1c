package hygiene

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The README's configuration table is what the program prints from its one
// table of settings (app/config.go), so a flag added, renamed or given a
// new default shows up in the README; make generate rewrites it.
func TestConfigTable(t *testing.T) {
	root := moduleRoot(t)
	cmd := exec.Command("go", "run", "./app", "config-table")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err, "go run ./app config-table")
	generatedSection(t, filepath.Join(root, "README.md"), "config", string(out))
}
