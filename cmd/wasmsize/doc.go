// Command wasmsize reports what app.wasm is made of, package by package,
// as Markdown for the wasm section of docs/measurements.md (make wasm-size).
//
//	wasmsize -unstripped app-unstripped.wasm [-stripped app.wasm] [-quality 11]
//
// Go's wasm has no symbol table that go tool nm reads, but an unstripped
// build keeps the "name" custom section, which names every function. The
// code section gives each function body's size, so the code of every
// package is exact. Data (type descriptors, strings, the function table,
// embedded files) is one block the linker does not attribute; it is
// reported as a whole, with the embedded files of this module's packages
// listed by the go command beside it. With -stripped, the report opens
// with the size served: raw, gzip -9 and brotli at the given quality.
//
// It is a build tool and shares nothing with the program.
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package main
