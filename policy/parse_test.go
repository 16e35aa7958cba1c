package policy

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/errs"
)

// FuzzParse feeds the parser mutations of the fixture files: it must never
// panic, must report failures as coded errors, and whatever it accepts must
// be a well-formed document. The published files are left out of the seed
// corpus: at 60 KB each they stall Go's mutator, and the small fixtures
// exercise every construct they use.
func FuzzParse(f *testing.F) {
	for _, fsys := range []fs.FS{os.DirFS("../testdata/policy/minimal"), os.DirFS("../testdata/policy/invalid")} {
		err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".md") {
				return err
			}
			b, err := fs.ReadFile(fsys, p)
			f.Add(b)
			return err
		})
		require.NoError(f, err)
	}
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("- x {#a}\n  - y {#a-1 n=1}\n    z {#a-1-p1}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := parse("fuzz.md", src)
		if err != nil {
			require.Equal(t, errs.Invalid, errs.Code(err))
			require.Nil(t, d)
			return
		}
		require.Len(t, d.Sections, sectionCount)
		require.Len(t, d.SDKs(), len(d.block(SDKTable).SDKs))
		require.NotNil(t, d.Contact())
		for _, id := range d.IDs() {
			_, ok := d.Find(id)
			require.True(t, ok, id)
			_ = d.PlainText(id)
		}
		_ = d.PlainText("")
	})
}

func TestParseInline(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Inline
		err      string
	}{
		{"Plain", "abc", []Inline{{Text: "abc"}}, ""},
		{"Strong", "a**b**c", []Inline{{Text: "a"}, {Text: "b", Strong: true}, {Text: "c"}}, ""},
		{"LeadingStrong", "**b**", []Inline{{Text: "b", Strong: true}}, ""},
		{"SingleStarIsText", "a*b", []Inline{{Text: "a*b"}}, ""},
		{"ErrUnclosed", "a**b", nil, "unclosed **"},
		{"ErrEmpty", "a****b", nil, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseInline(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
