// Command precompress writes the brotli form of a build output beside it
// (app.wasm → app.wasm.br), once per build.
//
// The server then never compresses megabytes per request.
//
//	precompress [-quality N] file...
//
// The quality comes from -quality, else the BROTLI_QUALITY environment
// variable, else 6: on the 10 MB wasm, quality 6 takes under a second and
// quality 11 about half a minute for a file 12% smaller, so everyday builds
// use 6 and `make release` asks for 11.
//
// It is a build tool and shares nothing with the program.
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package main
