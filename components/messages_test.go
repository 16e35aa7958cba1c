package components

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/lang"
)

// The wasm carries no message files: a component shows only what its page
// hands it. Every message id a component names must be one the server
// hands it (its Messages prefixes), and one the message files define.
func TestComponentsAreHandedEveryMessageTheyShow(t *testing.T) {
	literal := regexp.MustCompile(`\bT\("([a-z0-9_]+)"|Error = "([a-z0-9_]+)"`)
	ids := lang.DefaultBundle().IDs(lang.En)
	for _, tt := range []struct {
		name     string
		files    []string
		prefixes []string
	}{
		{"Settings", []string{"settings.go", "outbox.go", "../views/settingsview/settings.templ"}, SettingsMessages},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			for _, f := range tt.files {
				src, err := os.ReadFile(f)
				require.NoError(t, err)
				for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
					id := m[1] + m[2]
					n++
					known := ids[id]
					if strings.HasSuffix(id, "_") { // completed at run time: T("lists_"+kind)
						for k := range ids {
							known = known || strings.HasPrefix(k, id)
						}
					}
					assert.True(t, known, "%s: %q is in no message file", f, id)
					handed := false
					for _, p := range tt.prefixes {
						handed = handed || strings.HasPrefix(id, p)
					}
					assert.True(t, handed, "%s: %q is not handed to the wasm", f, id)
				}
			}
			assert.NotZero(t, n, "the test finds the ids it checks")
		})
	}
}
