package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/measurements.golden.md")

// A recorded go test -bench run becomes the section of the page, the rest
// of the page kept: the golden file is what make bench would write.
func TestSection(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "measurements.md")
	other := "# Measurements\n\n<!-- bench:banner:begin -->\nbanner table\n<!-- bench:banner:end -->\n"
	require.NoError(t, os.WriteFile(doc, []byte(other), 0o644))
	var stderr bytes.Buffer
	require.NoError(t, run([]string{"-in", "testdata/bench.txt", "-doc", doc}, nil, &stderr), stderr.String())
	got, err := os.ReadFile(doc)
	require.NoError(t, err)
	golden := "testdata/measurements.golden.md"
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
	assert.True(t, strings.HasPrefix(string(got), other), "the banner's section is kept as it was")

	// Run again: the section is replaced, not appended twice.
	require.NoError(t, run([]string{"-in", "testdata/bench.txt", "-doc", doc}, nil, &stderr))
	again, err := os.ReadFile(doc)
	require.NoError(t, err)
	assert.Equal(t, string(got), string(again))
}

// What a run must not do: write half a run's figures, or nothing at all.
func TestRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, input, err string
	}{
		{"FailedPackage", "pkg: x/a\nBenchmarkA-2 10 100 ns/op\n--- FAIL: BenchmarkB\nFAIL\tx/a\t1.0s\n", "the run failed"},
		{"NoResult", "PASS\nok  \tx/a\t0.1s\n", "no benchmark result"},
		{"OnlyExcluded", "pkg: github.com/kaiconn/consent/e2e\nBenchmarkA-2 1 100 ns/op\nok  \tgithub.com/kaiconn/consent/e2e\t1s\n", "no benchmark result"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := filepath.Join(t.TempDir(), "measurements.md")
			require.NoError(t, os.WriteFile(doc, []byte("# Measurements\n"), 0o644))
			err := run([]string{"-doc", doc}, strings.NewReader(tc.input), &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
			page, _ := os.ReadFile(doc)
			assert.Equal(t, "# Measurements\n", string(page), "the page is untouched")
		})
	}
}

func TestNumber(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0"}, {0.0123456, "0.0123"}, {1.5, "1.5"}, {6.123, "6.12"}, {12.34, "12.3"},
		{178, "178"}, {999.6, "1,000"}, {1244, "1,244"}, {1234567.8, "1,234,568"}, {-2500, "-2,500"},
	} {
		assert.Equal(t, tc.want, number(tc.in), "%v", tc.in)
	}
	assert.Equal(t, "106 µs", duration(106182))
	assert.Equal(t, "90 s", duration(90e9))
	assert.Equal(t, "512 ns", duration(512))
}

// A report already in Markdown (make wasm-size) becomes a section of its
// own, its headings under the page's, the other sections kept.
func TestMarkdownSection(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "measurements.md")
	other := "# Measurements\n\n<!-- bench:go:begin -->\ngo tables\n<!-- bench:go:end -->\n"
	require.NoError(t, os.WriteFile(doc, []byte(other), 0o644))
	report := "# What app.wasm is made of\n\n## Served\n\n| raw |\n|---:|\n| 8450.0 |\n\n```\n# not a heading\n```\n"
	for range 2 { // the second run replaces the section
		require.NoError(t, run([]string{"-markdown", "-section", "wasm", "-doc", doc}, strings.NewReader(report), &bytes.Buffer{}))
	}
	got, err := os.ReadFile(doc)
	require.NoError(t, err)
	assert.Equal(t, other+"\n<!-- bench:wasm:begin -->\n### What app.wasm is made of\n\n#### Served\n\n| raw |\n|---:|\n| 8450.0 |\n\n```\n# not a heading\n```\n<!-- bench:wasm:end -->\n", string(got))

	err = run([]string{"-markdown", "-section", "wasm", "-doc", doc}, strings.NewReader("\n"), &bytes.Buffer{})
	assert.ErrorContains(t, err, "empty report")
}
