package hygiene

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docPages are the pages whose links and figures are checked: the README
// and every page under docs/.
func docPages(t *testing.T, root string) []string {
	t.Helper()
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	return append([]string{filepath.Join(root, "README.md")}, pages...)
}

// A newcomer follows the README's links to the docs, and the docs' links to
// each other: every relative link must reach a file that exists and, when it
// names an anchor, a heading of that file.
func TestLinks(t *testing.T) {
	root := moduleRoot(t)
	for _, page := range docPages(t, root) {
		rel, _ := filepath.Rel(root, page)
		t.Run(rel, func(t *testing.T) {
			src, err := os.ReadFile(page)
			require.NoError(t, err)
			for _, l := range markdownLinks(string(src)) {
				if err := checkLink(page, l.target); err != nil {
					t.Errorf("%s:%d: link %q: %v", rel, l.line, l.target, err)
				}
			}
		})
	}
}

// The link checker itself must refuse what is broken, or TestLinks proves
// nothing.
func TestCheckLink(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "a.md")
	require.NoError(t, os.WriteFile(page, []byte("# A page\n\n## `POST /x`: the call\n\n## Again\n\n## Again\n\n[self](#a-page)\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.md"), []byte("# B\n\n```\n# not a heading\n```\n"), 0o644))
	for _, tc := range []struct {
		name, target string
		ok           bool
	}{
		{"File", "b.md", true},
		{"FileAndHeading", "b.md#b", true},
		{"OwnHeading", "#a-page", true},
		{"HeadingWithCode", "#post-x-the-call", true},
		{"SecondOfTwoHeadings", "#again-1", true},
		{"External", "https://example.com/x#y", true},
		{"MissingFile", "c.md", false},
		{"MissingHeading", "b.md#c", false},
		{"HeadingInCodeBlock", "b.md#not-a-heading", false},
		{"ThirdOfTwoHeadings", "#again-2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkLink(page, tc.target)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
	links := markdownLinks("a [x](one.md) and `[y](two.md)`\n```\n[z](three.md)\n```\n![p](four.png \"title\")\n<img src=\"five.svg\">")
	var targets []string
	for _, l := range links {
		targets = append(targets, l.target)
	}
	assert.Equal(t, []string{"one.md", "four.png", "five.svg"}, targets)
}

type link struct {
	target string
	line   int
}

var (
	mdLink   = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	htmlLink = regexp.MustCompile(`<(?:a|img)\s[^>]*(?:href|src)="([^"]+)"`)
	codeSpan = regexp.MustCompile("`[^`]*`")
)

// markdownLinks are the link and image targets of a markdown text, outside
// code blocks and code spans.
func markdownLinks(src string) []link {
	var out []link
	for i, line := range proseLines(src) {
		if line == "" {
			continue
		}
		line = codeSpan.ReplaceAllString(line, "")
		for _, re := range []*regexp.Regexp{mdLink, htmlLink} {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				out = append(out, link{target: m[1], line: i + 1})
			}
		}
	}
	return out
}

// proseLines are the lines of a markdown text with those inside fenced code
// blocks (and the fences) blanked, so that line numbers stay true.
func proseLines(src string) []string {
	lines := strings.Split(src, "\n")
	fence := ""
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		switch {
		case fence == "" && (strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~")):
			fence = trimmed[:3]
			lines[i] = ""
		case fence != "":
			if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			lines[i] = ""
		}
	}
	return lines
}

// checkLink tells whether target, a link found in page, resolves.
func checkLink(page, target string) error {
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if u.Scheme != "" || u.Host != "" {
		return nil // external: not ours to check offline
	}
	file := page
	if u.Path != "" {
		file = filepath.Join(filepath.Dir(page), filepath.FromSlash(u.Path))
		if _, err := os.Stat(file); err != nil {
			return fmt.Errorf("no such file %s", u.Path)
		}
	}
	if u.Fragment == "" {
		return nil
	}
	if !strings.HasSuffix(file, ".md") {
		return fmt.Errorf("an anchor into %s, which is not a markdown page", filepath.Base(file))
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	for _, a := range headingAnchors(string(src)) {
		if a == u.Fragment {
			return nil
		}
	}
	return fmt.Errorf("%s has no heading with the anchor #%s", filepath.Base(file), u.Fragment)
}

// headingAnchors are the anchors GitHub gives a page's headings: lower
// case, punctuation dropped, spaces made hyphens, and -1, -2… appended to
// repeats.
func headingAnchors(src string) []string {
	seen := map[string]int{}
	var out []string
	for _, line := range proseLines(src) {
		text, ok := strings.CutPrefix(line, "#")
		if !ok {
			continue
		}
		text = strings.TrimLeft(text, "#")
		if !strings.HasPrefix(text, " ") {
			continue
		}
		var b strings.Builder
		for _, r := range strings.ToLower(strings.TrimSpace(text)) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r):
				b.WriteRune(r)
			}
		}
		a := b.String()
		if n := seen[a]; n > 0 {
			out = append(out, fmt.Sprintf("%s-%d", a, n))
		} else {
			out = append(out, a)
		}
		seen[a]++
	}
	return out
}
