// Package pipeline builds what the server serves of web/static: each script
// joined with the shared parts it names, and every script and stylesheet
// minified by tdewolff/minify.
//
// Scripts share code by concatenation at build time, not by ES modules: the
// phone app's webview may be an old Android System WebView, which runs no
// <script type="module">, and the website banner (embed.js) must stay one
// small classic script on a page that is not ours. A script names its parts
// in its header, one line each:
//
//	//kc:include parts/retry.js
//
// and is served as one function holding the parts and then the script, so
// the parts' names stay out of the page's global scope and the minifier may
// shorten them. A part is a file under web/static/parts/ holding only
// declarations (functions and constants); it names no parts itself, is never
// served alone, and is what the node:test unit tests load (e2e/js).
//
// Must not import: github.com/kaiconn/consent (any package of this module).
package pipeline
