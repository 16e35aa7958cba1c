package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bundlesize:", err)
		os.Exit(2)
	}
}

// size is what a kind of file adds up to.
type size struct {
	files    int
	raw, zip int64
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bundlesize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "dist/app-bundle", "the bundle (make bundle)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(*dir, "manifest.json"))
	if err != nil {
		return err
	}
	var m struct {
		PolicyVersion string            `json:"policyVersion"`
		Files         map[string]string `json:"files"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("manifest.json: %w", err)
	}
	if len(m.Files) == 0 {
		return errors.New("manifest.json lists no file")
	}
	names := []string{"manifest.json"}
	for name := range m.Files {
		names = append(names, name)
	}
	sort.Strings(names)
	kinds := map[string]*size{}
	order := []string{"wasm", "pages", "other", "total"}
	for _, k := range order {
		kinds[k] = &size{}
	}
	for _, name := range names {
		body, err := os.ReadFile(filepath.Join(*dir, filepath.FromSlash(name)))
		if err != nil {
			return err
		}
		z, err := zipped(name, body)
		if err != nil {
			return err
		}
		kind := "other"
		switch {
		case strings.HasSuffix(name, ".wasm"):
			kind = "wasm"
		case strings.HasSuffix(name, ".html"):
			kind = "pages"
		}
		for _, k := range []string{kind, "total"} {
			kinds[k].files++
			kinds[k].raw += int64(len(body))
			kinds[k].zip += z
		}
	}
	fmt.Fprintf(stdout, "# The app bundle's size\n\n")
	fmt.Fprintf(stdout, "`make bundle-size` (`cmd/bundlesize`) on `dist/app-bundle` (`make bundle`), policy %s. ", m.PolicyVersion)
	fmt.Fprintf(stdout, "Raw: the files as the bundle holds them. APK: each file deflated on its own in a zip, as an APK stores it (zlib's default level), local headers included. KB = 1,000 bytes.\n\n")
	fmt.Fprintf(stdout, "| files | count | raw, KB | APK, KB |\n|---|---:|---:|---:|\n")
	labels := map[string]string{"wasm": "the wasm", "pages": "pages (`.html`)", "other": "styles, scripts, icon, manifest", "total": "**the bundle**"}
	for _, k := range order {
		s := kinds[k]
		fmt.Fprintf(stdout, "| %s | %d | %.1f | %.1f |\n", labels[k], s.files, float64(s.raw)/1000, float64(s.zip)/1000)
	}
	return nil
}

// zipped is what one file takes in a zip archive: its local header and its
// deflated bytes.
func zipped(name string, body []byte) (int64, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.DefaultCompression)
	})
	w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
	if err != nil {
		return 0, err
	}
	if _, err := w.Write(body); err != nil {
		return 0, err
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return 0, err
	}
	const localHeader = 30 // the fixed part of a zip local file header
	f := zr.File[0]
	return localHeader + int64(len(f.Name)) + int64(len(f.Extra)) + int64(f.CompressedSize64), nil
}
