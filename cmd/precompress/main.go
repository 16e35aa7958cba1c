package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/andybalholm/brotli"
)

// defaultQuality keeps a development build fast; see the package doc.
const defaultQuality = 6

func main() {
	if err := run(os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "precompress:", err)
		os.Exit(2)
	}
}

func run(args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("precompress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := defaultQuality
	if v := getenv("BROTLI_QUALITY"); v != "" {
		q, err := parseQuality(v)
		if err != nil {
			return fmt.Errorf("BROTLI_QUALITY: %w", err)
		}
		def = q
	}
	quality := fs.Int("quality", def, "brotli quality, 0 (fastest) to 11 (smallest) (env BROTLI_QUALITY)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if _, err := parseQuality(strconv.Itoa(*quality)); err != nil {
		return fmt.Errorf("-quality: %w", err)
	}
	if fs.NArg() == 0 {
		return errors.New("no file named: precompress [-quality N] file...")
	}
	for _, path := range fs.Args() {
		if err := compress(path, *quality); err != nil {
			return err
		}
	}
	return nil
}

func parseQuality(s string) (int, error) {
	q, err := strconv.Atoi(s)
	if err != nil || q < brotli.BestSpeed || q > brotli.BestCompression {
		return 0, fmt.Errorf("quality %q is not a whole number from %d to %d", s, brotli.BestSpeed, brotli.BestCompression)
	}
	return q, nil
}

// compress writes path.br through a temporary file, so that an interrupted
// build never leaves a truncated .br that the server would send.
func compress(path string, quality int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	tmp := path + ".br.tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := brotli.NewWriterLevel(f, quality)
	if _, err := w.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := w.Close(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path+".br")
}
