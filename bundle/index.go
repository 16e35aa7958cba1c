package bundle

import (
	_ "embed"
	"html"
	"strings"
)

// langScript opens the page of the language a surface's index.html is
// asked for.
//
//go:embed lang.js
var langScript []byte

// bundleScript is what a gate page served from the app's assets needs
// beside the server's scripts: its receipt id, its receipt through the
// device outbox, and the newer policy.
//
//go:embed bundle.js
var bundleScript []byte

// newerScript shows a policy version newer than the bundle's, with its
// texts fetched, checked against their hash and kept for offline use
// (docs/bundle.md, "A newer policy").
//
//go:embed newer.js
var newerScript []byte

// indexPage is a surface's entry: it holds no content of its own, only
// what takes the reader to the page of their language (lang.js), and,
// without script, a link to each.
func indexPage(s surface, langs []string) []byte {
	var b strings.Builder
	b.WriteString(`<!doctype html><html lang="` + langs[0] + `" data-langs="` + html.EscapeString(strings.Join(langs, " ")) + `"><head><meta charset="utf-8">`)
	b.WriteString(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; base-uri 'none'; object-src 'none'">`)
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1"><title>Kaiconn</title><script src="../lang.js"></script></head><body>`)
	if s.name != "permission" {
		b.WriteString(`<noscript><ul>`)
		for _, l := range langs {
			b.WriteString(`<li><a href="` + l + `.html" lang="` + l + `">` + l + `</a></li>`)
		}
		b.WriteString(`</ul></noscript>`)
	}
	b.WriteString(`</body></html>` + "\n")
	return []byte(b.String())
}
