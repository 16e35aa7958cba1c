package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchdoc:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stderr io.Writer) error {
	fs := flag.NewFlagSet("benchdoc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "-", "go test -bench output to read; - for stdin")
	doc := fs.String("doc", "docs/measurements.md", "markdown page whose section to rewrite")
	name := fs.String("section", "go", "name of the section: <!-- bench:NAME:begin --> … <!-- bench:NAME:end -->")
	exclude := fs.String("exclude", "e2e", "comma-separated packages (relative to the module) left out: they write sections of their own")
	markdown := fs.Bool("markdown", false, "the input is a report in Markdown (make wasm-size), put in the section as it is, its headings two levels down")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var src []byte
	var err error
	if *in == "-" {
		src, err = io.ReadAll(stdin)
	} else {
		src, err = os.ReadFile(*in)
	}
	if err != nil {
		return err
	}
	if *markdown {
		if len(bytes.TrimSpace(src)) == 0 {
			return errors.New(*in + ": empty report")
		}
		return rewrite(*doc, *name, demote(string(src)))
	}
	run, err := parse(src, *in)
	if err != nil {
		return err
	}
	run.exclude(strings.Split(*exclude, ","))
	if len(run.pkgs) == 0 {
		return errors.New(*in + ": no benchmark result")
	}
	return rewrite(*doc, *name, run.markdown())
}

// rewrite replaces section name of the page at doc, creating the page when
// it does not exist.
func rewrite(doc, name, section string) error {
	old, err := os.ReadFile(doc)
	if errors.Is(err, os.ErrNotExist) {
		old, err = []byte("# Measurements\n"), nil
	}
	if err != nil {
		return err
	}
	return os.WriteFile(doc, replaceSection(old, name, section), 0o644)
}

// demote moves every Markdown heading of a report two levels down, so that
// its title sits under the page's sections as the benchmarks' do.
func demote(report string) string {
	lines := strings.Split(report, "\n")
	fence := false
	for i, l := range lines {
		if strings.HasPrefix(l, "```") {
			fence = !fence
		}
		if !fence && strings.HasPrefix(l, "#") {
			lines[i] = "##" + l
		}
	}
	return strings.Join(lines, "\n")
}

// A benchRun is one go test -bench run: the machine it ran on and its
// results, package by package in the order they ran.
type benchRun struct {
	config map[string]string // date, cores, load, go, benchtime, goos, goarch, cpu
	pkgs   []*pkgResults
	module string
}

type pkgResults struct {
	path    string // import path
	results []result
	logs    []string
	skipped []string
}

type result struct {
	name   string // without Benchmark and the -GOMAXPROCS suffix
	iters  int
	values []benchfmt.Value
}

// logLine is what a benchmark's b.Log prints under its result:
// "    file_test.go:47: text" (or a helper's file).
var logLine = regexp.MustCompile(`^\s{4,}\S+\.go:\d+: (.*)$`)

// parse reads go test -bench output. It refuses a run in which anything
// failed: half a run's figures must not replace a whole run's.
func parse(src []byte, fileName string) (*benchRun, error) {
	r := &benchRun{config: map[string]string{}}
	byPath := map[string]*pkgResults{}
	pkg := func(path string) *pkgResults {
		p := byPath[path]
		if p == nil {
			p = &pkgResults{path: path}
			byPath[path] = p
			r.pkgs = append(r.pkgs, p)
		}
		return p
	}
	rd := benchfmt.NewReader(bytes.NewReader(src), fileName)
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.Result:
			for _, c := range rec.Config {
				if c.File {
					r.config[c.Key] = strings.TrimSpace(string(c.Value))
				}
			}
			p := pkg(rec.GetConfig("pkg"))
			p.results = append(p.results, result{
				name:   trimProcs(rec.Name.String()),
				iters:  rec.Iters,
				values: slices.Clone(rec.Values),
			})
		case *benchfmt.SyntaxError:
			return nil, rec
		}
	}
	if err := rd.Err(); err != nil {
		return nil, err
	}
	// Failures, skips and logs are not part of the benchmark format: read
	// them from the raw lines. A package's lines all come before its "ok"
	// line; a benchmark's log lines are indented under "--- BENCH: name"
	// (or "--- SKIP: name").
	var logs, skipped []string
	bench := "" // the benchmark whose log lines follow ("--- BENCH: name")
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "FAIL") || strings.HasPrefix(strings.TrimSpace(line), "--- FAIL"):
			return nil, fmt.Errorf("%s: the run failed (%s): nothing written", fileName, strings.TrimSpace(line))
		case strings.HasPrefix(strings.TrimSpace(line), "--- SKIP: ") && len(fields) >= 3:
			bench = strings.TrimPrefix(trimProcs(fields[2]), "Benchmark")
			skipped = append(skipped, bench)
		case strings.HasPrefix(line, "--- BENCH: ") && len(fields) >= 3:
			bench = strings.TrimPrefix(trimProcs(fields[2]), "Benchmark")
		case logLine.MatchString(line):
			text := strings.Join(strings.Fields(logLine.FindStringSubmatch(line)[1]), " ")
			if bench != "" {
				text = "`" + bench + "`: " + text
			}
			logs = append(logs, text)
		case !strings.HasPrefix(line, " ") && !strings.HasPrefix(line, "\t"):
			bench = "" // a log line is indented under its benchmark
			if len(fields) >= 2 && fields[0] == "ok" {
				p := pkg(fields[1])
				p.logs, p.skipped = append(p.logs, logs...), append(p.skipped, skipped...)
				logs, skipped = nil, nil
			}
		}
	}
	// Packages that only skipped or logged, with no result, say nothing
	// worth a table.
	r.pkgs = slices.DeleteFunc(r.pkgs, func(p *pkgResults) bool { return len(p.results) == 0 })
	// Sub-benchmarks over a map run in any order: sort by name, so that
	// two runs read alike.
	for _, p := range r.pkgs {
		slices.SortStableFunc(p.results, func(a, b result) int { return strings.Compare(a.name, b.name) })
	}
	r.module = commonModule(r.pkgs)
	return r, sc.Err()
}

// trimProcs drops the -GOMAXPROCS suffix go test adds to a name.
func trimProcs(name string) string {
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

// commonModule is the longest import-path prefix of the packages, cut at a
// path element, so that tables name packages as the docs do ("store/sqlite").
func commonModule(pkgs []*pkgResults) string {
	if len(pkgs) == 0 {
		return ""
	}
	prefix := strings.Split(pkgs[0].path, "/")
	for _, p := range pkgs[1:] {
		parts := strings.Split(p.path, "/")
		n := 0
		for n < len(prefix) && n < len(parts) && prefix[n] == parts[n] {
			n++
		}
		prefix = prefix[:n]
	}
	if len(pkgs) == 1 && len(prefix) > 0 {
		prefix = prefix[:len(prefix)-1]
	}
	// A module path has a dot in its first element; stop at three
	// elements for github.com/owner/name.
	if len(prefix) > 3 && strings.Contains(prefix[0], ".") {
		prefix = prefix[:3]
	}
	return strings.Join(prefix, "/")
}

func (r *benchRun) rel(path string) string {
	if r.module != "" {
		if rest, ok := strings.CutPrefix(path, r.module+"/"); ok {
			return rest
		}
	}
	return path
}

func (r *benchRun) exclude(rels []string) {
	r.pkgs = slices.DeleteFunc(r.pkgs, func(p *pkgResults) bool {
		return slices.Contains(rels, r.rel(p.path))
	})
}

// markdown is the section: where and when, then a table per package.
func (r *benchRun) markdown() string {
	var b strings.Builder
	c := r.config
	fmt.Fprintf(&b, "### Go benchmarks\n\n")
	fmt.Fprintf(&b, "`make bench`: `go test -run '^$' -bench . -benchtime %s`, every package but `e2e`", or(c["benchtime"], "1s"))
	fmt.Fprintf(&b, "; %s, on %s/%s, %s, %s cores, load %s at the start, %s.\n",
		or(c["date"], "undated"), or(c["goos"], "?"), or(c["goarch"], "?"), or(c["cpu"], "unknown CPU"), or(c["cores"], "?"), or(c["load"], "unknown"), or(c["go"], "go ?"))
	b.WriteString("One run each, on a machine that may be shared: compare figures within one run. " +
		"`runs` is how many times the benchmark's loop ran; a benchmark that runs a fixed amount of work once " +
		"(it reports its own figures) shows no time per operation.\n")
	for _, p := range r.pkgs {
		fmt.Fprintf(&b, "\n#### `%s`\n\n", r.rel(p.path))
		b.WriteString("| benchmark | runs | time/op | figures it reports |\n|---|---:|---:|---|\n")
		for _, res := range p.results {
			perOp := "—"
			var other []string
			for _, v := range res.values {
				// benchfmt tidies some units (ns/op to sec/op); the
				// page keeps each figure as the benchmark reported it.
				value, unit := v.Value, v.Unit
				if v.OrigUnit != "" {
					value, unit = v.OrigValue, v.OrigUnit
				}
				if unit == "ns/op" {
					if value != 0 {
						perOp = duration(value)
					}
					continue
				}
				other = append(other, number(value)+" "+unit)
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", res.name, number(float64(res.iters)), perOp, strings.Join(other, ", "))
		}
		if len(p.logs) > 0 {
			b.WriteString("\nLogged: ")
			b.WriteString(strings.Join(p.logs, "; "))
			b.WriteString(".\n")
		}
		if len(p.skipped) > 0 {
			fmt.Fprintf(&b, "\nSkipped: `%s`.\n", strings.Join(p.skipped, "`, `"))
		}
	}
	return b.String()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// duration writes nanoseconds in the largest unit that keeps the value at
// least 1, to three significant digits.
func duration(ns float64) string {
	for _, u := range []struct {
		name string
		size float64
	}{{"s", 1e9}, {"ms", 1e6}, {"µs", 1e3}} {
		if ns >= u.size {
			return number(ns/u.size) + " " + u.name
		}
	}
	return number(ns) + " ns"
}

// number writes v to three significant digits, grouping thousands with
// commas: 0.0123, 1.23, 12.3, 123, 1,235, 1,234,568.
func number(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	digits := 2 - int(math.Floor(math.Log10(math.Abs(v))))
	if digits >= 0 {
		v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'f', digits, 64), 64)
	}
	if math.Abs(v) >= 1000 {
		s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		var out []byte
		for i := range len(s) {
			if i > 0 && (len(s)-i)%3 == 0 {
				out = append(out, ',')
			}
			out = append(out, s[i])
		}
		if neg {
			return "-" + string(out)
		}
		return string(out)
	}
	s := strconv.FormatFloat(v, 'f', digits, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// replaceSection puts section between <!-- bench:name:begin --> and
// <!-- bench:name:end --> in page, appending the markers when missing.
func replaceSection(page []byte, name, section string) []byte {
	begin, end := "<!-- bench:"+name+":begin -->", "<!-- bench:"+name+":end -->"
	block := begin + "\n" + strings.TrimSpace(section) + "\n" + end
	text := string(page)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i >= 0 && j > i {
		text = text[:i] + block + text[j+len(end):]
	} else {
		text = strings.TrimRight(text, "\n") + "\n\n" + block + "\n"
	}
	return []byte(text)
}
