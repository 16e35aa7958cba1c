// Command precompress writes the brotli form of a build output beside it
// (app.wasm → app.wasm.br) at the highest quality, once per build, so the
// server never compresses megabytes per request.
package main

import (
	"fmt"
	"os"

	"github.com/andybalholm/brotli"
)

func main() {
	for _, path := range os.Args[1:] {
		if err := compress(path); err != nil {
			fmt.Fprintln(os.Stderr, "precompress:", err)
			os.Exit(1)
		}
	}
}

func compress(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	tmp := path + ".br.tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := brotli.NewWriterLevel(f, brotli.BestCompression)
	if _, err := w.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := w.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path+".br")
}
