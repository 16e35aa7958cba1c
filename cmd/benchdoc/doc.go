// Command benchdoc writes the results of the Go benchmarks into
// docs/measurements.md, so that every figure the docs quote comes from one
// generated page.
//
//	go test -run '^$' -bench . ./... > bench.txt
//	benchdoc -in bench.txt -doc docs/measurements.md
//
// It reads the output of go test -bench (with golang.org/x/perf's benchfmt
// parser), and replaces the section between <!-- bench:go:begin --> and
// <!-- bench:go:end --> with a table per package: each benchmark's runs,
// time per operation and the figures it reports itself, the lines it
// logged, and the date and machine of the run. The date, the number of
// cores, the load average and the go version are read from key: value
// lines at the top of the input (make bench writes them), so that the
// same input always gives the same page. Other sections of the page (the
// browser benchmarks write their own) are kept as they are. A run that
// failed writes nothing.
//
// It is a build tool and shares nothing with the program.
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package main
