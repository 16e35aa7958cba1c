// Command bundlesize reports the app bundle's size, raw and as an APK
// holds it, as Markdown for the bundle section of docs/measurements.md
// (make bundle-size).
//
//	bundlesize -dir dist/app-bundle
//
// An APK is a zip: each file is deflated on its own (Android's build tools
// use zlib's default level and store already-compressed formats as they
// are, which a bundle has none of). The report sums every file the
// manifest lists and the manifest itself, by kind: the wasm, the pages,
// and the rest (styles, scripts, the icon).
//
// It is a build tool and shares nothing with the program: it reads the
// bundle as any host would, through manifest.json.
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package main
