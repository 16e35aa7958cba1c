package hygiene

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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

// The docs quote figures that were measured (how fast, how big), and a
// figure that no run produced, or that an older run produced, misleads.
// docs/measurements.md is the one page make bench writes; every other page
// may quote a measured figure only when that page has it.
//
// A measured figure, in the prose and tables of README.md and docs/*.md
// (docs/measurements.md aside), outside fenced code blocks, code spans and
// HTML comments, is:
//   - a number (digits, optionally grouped in threes by a comma or a space,
//     optionally with decimals, optionally after ≈ or ~), or a range of two
//     (12–15), followed, after at most one space, by a unit: a time (ns, µs,
//     ms, s, min), a size (B, bytes, KB, kB, KiB, MB, MiB, GB), either
//     optionally per something (B/receipt, ms/op), a rate (any word/s:
//     receipts/s, puts/s, ops/s), a ratio (×) or a share (%);
//   - or any number in a table cell whose column's header names such a
//     unit ("query, ms").
//
// docs/measurements.md has it when one of its lines has the same number
// (separators aside) and names the same unit, on that line or in the
// header of the table the line is in.
//
// What is not measured — a configured value, a limit, a goal — is written
// as code (`64 KiB`, `5 min`, "≤ `10 KB`"), which says it is a literal
// value and keeps it out of the rule.
func TestFiguresAreMeasured(t *testing.T) {
	root := moduleRoot(t)
	measurementsPage := filepath.Join(root, "docs", "measurements.md")
	src, err := os.ReadFile(measurementsPage)
	require.NoError(t, err)
	measured := measuredFigures(string(src))
	for _, page := range docPages(t, root) {
		if page == measurementsPage {
			continue
		}
		rel, _ := filepath.Rel(root, page)
		t.Run(rel, func(t *testing.T) {
			src, err := os.ReadFile(page)
			require.NoError(t, err)
			for _, f := range quotedFigures(string(src)) {
				if !measured.has(f) {
					t.Errorf("%s:%d: %q is not in docs/measurements.md: link the measurements instead, or write a configured value or limit as code", rel, f.line, f.text)
				}
			}
		})
	}
}

// The rule must catch what it promises, and only that.
func TestQuotedFigures(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"TimeAndSize", "visible after ≈ 1.0 s, 6.7 KB gzip", []string{"≈ 1.0 s", "6.7 KB"}},
		{"Rates", "2 130 / 2 190 per s; 4,809 puts/s and 860 receipts/s", []string{"2 190 per s", "4,809 puts/s", "860 receipts/s"}},
		{"HeaderWordIsNoUnit", "| target | the policy's words |\n|---|---|\n| profile | (5.1, 5.2) |\n", nil},
		{"Range", "p99 14–18 ms", []string{"14–18 ms"}},
		{"PerSomething", "1,017 B/receipt, 0.56 ms/op", []string{"1,017 B/receipt", "0.56 ms/op"}},
		{"RatioAndShare", "0.45× the bytes, 70% in Chinese", []string{"0.45×", "70%"}},
		{"CodeIsALiteral", "a body of at most `64 KiB`, `-benchtime 5x`", nil},
		{"CodeBlock", "```\n12 ms\n```\n", nil},
		{"Comment", "<!-- 12 ms -->", nil},
		{"NotAFigure", "Go 1.26, 365 days, section 3.1.5, 360 px, sha256 of 16 bytes? no: v2, s1-4-2, 8760h", []string{"16 bytes"}},
		{"TableHeaderUnit", "| query, ms | SQLite |\n|---|---|\n| decisions | 0.7 |\n", []string{"0.7 ms"}},
		{"TableWithoutUnit", "| field | value |\n|---|---|\n| version | 2 |\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, f := range quotedFigures(tc.src) {
				got = append(got, f.text)
			}
			assert.Equal(t, tc.want, got)
		})
	}
	m := measuredFigures("| median | Kaiconn |\n|---|---:|\n| banner visible, ms | 522 (513–562) |\n\n`Put`: 2,359 api-receipts/s, 6.12 api-p50-ms; 1.5 s\n")
	for _, tc := range []struct {
		src string
		ok  bool
	}{
		{"522 ms", true}, {"513 ms", true}, {"2359 receipts/s", true}, {"2,359 puts/s", false},
		{"6.12 ms", true}, {"6.1 ms", false}, {"522 KB", false}, {"1.5 s", true}, {"1.50 s", true}, {"2 s", false},
		{"562 ms", true}, {"5 ms", false},
	} {
		f := quotedFigures(tc.src)
		require.Len(t, f, 1, tc.src)
		assert.Equal(t, tc.ok, m.has(f[0]), tc.src)
	}
}

type figure struct {
	text   string    // as quoted
	values []float64 // one, or two for a range
	unit   string
	line   int
}

const (
	figureUnit = `(?:ns|µs|ms|s|min|B|bytes|KB|kB|KiB|MB|MiB|GB)(?:/[A-Za-z-]+)?|[A-Za-z-]+/s|per s|per second|×|%`
	figureNum  = `\d{1,3}(?:[,\x{2009}\x{202F}\x{00A0} ]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`
)

var (
	figureRe = regexp.MustCompile(`(?:^|[^\w.\-/])((?:[≈~]\s?)?(` + figureNum + `)(?:\s?[–-]\s?(` + figureNum + `))?\s?(` + figureUnit + `))(?:$|[^\w/])`)
	numberRe = regexp.MustCompile(`(?:^|[^\w.\-])(` + figureNum + `)`)
	unitRe   = regexp.MustCompile(`(?:^|[\s,(])(` + figureUnit + `)(?:$|[\s,)])`)
	comment  = regexp.MustCompile(`<!--.*?-->`)
)

func parseNumber(s string) float64 {
	s = strings.Map(func(r rune) rune {
		if r == ',' || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

// quotedFigures are the measured figures of a page, as defined above.
func quotedFigures(src string) []figure {
	var out []figure
	header := ""              // the header row of the table being read
	headerUnits := []string{} // the unit each of its columns names, or ""
	for i, line := range proseLines(src) {
		line = comment.ReplaceAllString(codeSpan.ReplaceAllString(line, "``"), "")
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, "|") {
			header, headerUnits = "", nil
		} else if header == "" {
			header = trimmed
			// A unit in the first header cell ("query, ms") is the
			// whole table's; any other is its column's.
			tableUnit := ""
			for c, cell := range tableCells(trimmed) {
				u := ""
				if m := unitRe.FindStringSubmatch(cell); m != nil {
					u = m[1]
				}
				if c == 0 {
					tableUnit, u = u, ""
				} else if u == "" {
					u = tableUnit
				}
				headerUnits = append(headerUnits, u)
			}
			continue
		} else if strings.Trim(trimmed, "|-: ") == "" {
			continue // the delimiter row
		} else {
			for c, cell := range tableCells(trimmed) {
				if c >= len(headerUnits) || headerUnits[c] == "" {
					continue
				}
				cell = figureRe.ReplaceAllString(cell, " ") // counted below with their own unit
				for _, m := range numberRe.FindAllStringSubmatch(cell, -1) {
					out = append(out, figure{text: m[1] + " " + headerUnits[c], values: []float64{parseNumber(m[1])}, unit: headerUnits[c], line: i + 1})
				}
			}
		}
		for _, m := range figureRe.FindAllStringSubmatch(line, -1) {
			f := figure{text: m[1], values: []float64{parseNumber(m[2])}, unit: m[4], line: i + 1}
			if m[3] != "" {
				f.values = append(f.values, parseNumber(m[3]))
			}
			out = append(out, f)
		}
	}
	return out
}

func tableCells(row string) []string {
	return strings.Split(strings.Trim(row, "|"), "|")
}

// measuredSet is every figure of docs/measurements.md: each number with
// the unit that follows it, or, in a table, the unit its row's label or its
// column's header names.
type measuredSet []struct {
	value float64
	unit  string // the word after the number, or the label's or header's text
}

func measuredFigures(src string) measuredSet {
	var out measuredSet
	add := func(text, fallback string) {
		for _, m := range followedRe.FindAllStringSubmatch(text, -1) {
			unit := m[2]
			if !strings.ContainsFunc(unit, unicode.IsLetter) && !strings.ContainsAny(unit, "×%") {
				unit = fallback
			}
			out = append(out, struct {
				value float64
				unit  string
			}{parseNumber(m[1]), unit})
		}
	}
	var header []string
	for _, line := range strings.Split(src, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case !strings.HasPrefix(trimmed, "|"):
			header = nil
			add(line, "")
		case header == nil:
			header = tableCells(trimmed)
		case strings.Trim(trimmed, "|-: ") == "":
		default:
			cells := tableCells(trimmed)
			for c, cell := range cells[1:] {
				fallback := cells[0]
				if c+1 < len(header) {
					fallback += " " + header[c+1]
				}
				add(cell, fallback)
			}
		}
	}
	return out
}

// followedRe is a number and the word after it, if any.
var followedRe = regexp.MustCompile(`(?:^|[^\w.\-])(` + figureNum + `)(?:\s?([^\s,;()|–]*))`)

func (m measuredSet) has(f figure) bool {
	unit := regexp.MustCompile(`(?:^|[^A-Za-zµ])` + regexp.QuoteMeta(f.unit) + `(?:$|[^A-Za-z])`)
	for _, v := range f.values {
		found := false
		for _, e := range m {
			if e.value == v && unit.MatchString(e.unit) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// The README's configuration table is where an operator looks up a flag:
// it must name every flag the program takes, and no flag it does not.
func TestConfigurationTable(t *testing.T) {
	root := moduleRoot(t)
	cmd := exec.Command("go", "run", "./app", "-h")
	cmd.Dir = root
	out, _ := cmd.CombinedOutput() // -h exits non-zero after the usage
	flagLine := regexp.MustCompile(`(?m)^\s+-([a-z][a-z-]*)`)
	var program []string
	for _, m := range flagLine.FindAllStringSubmatch(string(out), -1) {
		program = append(program, m[1])
	}
	require.NotEmpty(t, program, "go run ./app -h printed no flag:\n%s", out)

	src, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(src), "\n## Configuration\n")
	require.True(t, ok, "README.md has no Configuration section")
	section, _, _ = strings.Cut(section, "\n## ")
	var readme []string
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `-") {
			continue
		}
		first := tableCells(line)[0]
		for _, m := range regexp.MustCompile("`-([a-z][a-z-]*)`").FindAllStringSubmatch(first, -1) {
			readme = append(readme, m[1])
		}
	}
	slices.Sort(program)
	slices.Sort(readme)
	assert.Equal(t, program, readme, "the flags of the README's configuration table and of the program differ")
}

// docs/screenshots keeps the pictures the README and docs/*.md show and
// nothing else: the whole gallery (make screenshots) weighed three times
// the rest of the repository and changed on every run, so it is written
// to tmp/screenshots, outside git. A picture a page shows must be here
// (TestLinks checks that too); one no page shows must not.
func TestScreenshotsAreTheDocsPictures(t *testing.T) {
	root := moduleRoot(t)
	dir := filepath.Join(root, "docs", "screenshots")
	shown := map[string]bool{}
	for _, page := range docPages(t, root) {
		src, err := os.ReadFile(page)
		require.NoError(t, err)
		for _, l := range markdownLinks(string(src)) {
			target, _, _ := strings.Cut(l.target, "#")
			if strings.Contains(target, "://") {
				continue
			}
			if p := filepath.Join(filepath.Dir(page), target); filepath.Dir(p) == dir && filepath.Ext(p) == ".png" {
				shown[filepath.Base(p)] = true
			}
		}
	}
	require.NotEmpty(t, shown, "the README shows pictures from docs/screenshots")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		if e.Name() == "README.md" {
			continue
		}
		assert.True(t, shown[e.Name()], "docs/screenshots/%s: no page shows it; the gallery belongs in tmp/screenshots (make screenshots)", e.Name())
		delete(shown, e.Name())
	}
	for name := range shown {
		t.Errorf("docs/screenshots/%s: a page shows it, but it is missing (make screenshots)", name)
	}
}
