package hygiene

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// The table of docs/bridge.md §6 (which SDK call each app purpose unlocks)
// is what cmd/policyversion prints from the newest catalogue, so a policy
// version added without make policy-version, or an SDK's call changed in
// it, shows up here; make policy-version rewrites it.
func TestSDKCallTable(t *testing.T) {
	root := moduleRoot(t)
	cmd := exec.Command("go", "run", "./cmd/policyversion", "-sdk-calls")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err, "go run ./cmd/policyversion -sdk-calls")
	generatedSection(t, filepath.Join(root, "docs", "bridge.md"), "sdk-calls", string(out))
}
