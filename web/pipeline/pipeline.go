package pipeline

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/js"
	"github.com/tdewolff/parse/v2"
	pcss "github.com/tdewolff/parse/v2/css"
)

// PartsDir is the directory of web/static that holds the shared parts.
const PartsDir = "parts"

// includeDirective starts a header line that names a part.
const includeDirective = "//kc:include "

// IsPart reports whether name (a path inside web/static) is a shared part,
// which is served only inside the scripts that name it.
func IsPart(name string) bool {
	return strings.HasPrefix(name, PartsDir+"/")
}

// Includes returns the parts src names in its header: the lines before its
// first line that is not a comment.
func Includes(src []byte) []string {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "//") {
			break
		}
		if rest, ok := strings.CutPrefix(line, includeDirective); ok {
			names = append(names, strings.Fields(rest)...)
		}
	}
	return names
}

// Join returns the script name of fsys (web/static) with the parts it names:
// one function holding every part, in the order named, then the script. A
// script that names no part is returned as it is. A part that is missing,
// named twice, outside PartsDir or naming parts itself is an error.
func Join(fsys fs.FS, name string) ([]byte, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	parts := Includes(src)
	if len(parts) == 0 {
		return src, nil
	}
	var out bytes.Buffer
	out.WriteString("(function () {\n\"use strict\";\n")
	seen := map[string]bool{}
	for _, p := range parts {
		switch {
		case seen[p]:
			return nil, fmt.Errorf("%s: part %s is named twice", name, p)
		case !IsPart(p) || path.Clean(p) != p:
			return nil, fmt.Errorf("%s: %s is not a part (parts live in %s/)", name, p, PartsDir)
		}
		seen[p] = true
		part, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("%s: part %s: %w", name, p, err)
		}
		if len(Includes(part)) > 0 {
			return nil, fmt.Errorf("%s: part %s names parts itself; a script names all it needs", name, p)
		}
		out.Write(part)
		out.WriteByte('\n')
	}
	out.Write(src)
	out.WriteString("\n})();\n")
	return out.Bytes(), nil
}

// minifier minifies scripts and stylesheets. The scripts may introduce no
// syntax later than ES5 (no template literals for strings): the gate's
// scripts run in old Android webviews, and a script that is ES5 must stay
// so once minified. It never adds syntax the source did not have.
var minifier = func() *minify.M {
	m := minify.New()
	m.Add("text/css", &css.Minifier{})
	m.Add("text/javascript", &js.Minifier{Version: 5})
	return m
}()

// MediaType is the media type Minify takes for a file name, "" for a file
// it leaves alone.
func MediaType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript"
	case ".css":
		return "text/css"
	}
	return ""
}

// Minify minifies src of mediaType ("text/javascript" or "text/css").
func Minify(mediaType string, src []byte) ([]byte, error) {
	return minifier.Bytes(mediaType, src)
}

// built caches Build's output by the SHA-256 of the joined source: every
// server a process opens (the tests open many) builds the same files, and
// an entry keyed by content can never be stale.
var built sync.Map // [sha256.Size]byte → []byte

// Build returns what the server serves for name of fsys (web/static): a
// script joined with its parts and minified, a stylesheet minified, any
// other file as it is.
func Build(fsys fs.FS, name string) ([]byte, error) {
	mt := MediaType(name)
	if mt == "" {
		return fs.ReadFile(fsys, name)
	}
	src, err := Join(fsys, name)
	if err != nil {
		return nil, err
	}
	key := sha256.Sum256(append([]byte(mt+"\x00"), src...))
	if b, ok := built.Load(key); ok {
		return b.([]byte), nil
	}
	out, err := Minify(mt, src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	built.Store(key, out)
	return out, nil
}

// CustomProperties returns the custom properties (--name: value) declared
// by the first top-level rule of stylesheet whose selector is selector
// (compared without white space), each value with its white space
// collapsed.
func CustomProperties(stylesheet []byte, selector string) (map[string]string, error) {
	want := strings.Join(strings.Fields(selector), "")
	p := pcss.NewParser(parse.NewInputBytes(stylesheet), false)
	depth := 0
	var vals map[string]string
	for {
		gt, _, data := p.Next()
		switch gt {
		case pcss.ErrorGrammar:
			if err := p.Err(); err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("stylesheet: %w", err)
			}
			// At the end of the stylesheet: a rule left open is closed
			// there (CSS Syntax), so only a missing rule is an error.
			return nil, fmt.Errorf("no rule %q", selector)
		case pcss.BeginAtRuleGrammar:
			depth++
		case pcss.EndAtRuleGrammar:
			depth--
		case pcss.BeginRulesetGrammar:
			if depth == 0 && vals == nil && selectorText(p.Values()) == want {
				vals = map[string]string{}
			}
			depth++
		case pcss.EndRulesetGrammar:
			depth--
			if vals != nil && depth == 0 {
				return vals, nil
			}
		case pcss.CustomPropertyGrammar:
			if vals != nil && depth == 1 {
				var v strings.Builder
				for _, t := range p.Values() {
					v.Write(t.Data)
				}
				vals[string(data)] = strings.Join(strings.Fields(v.String()), " ")
			}
		}
	}
}

func selectorText(tokens []pcss.Token) string {
	var b strings.Builder
	for _, t := range tokens {
		if t.TokenType != pcss.WhitespaceToken {
			b.Write(t.Data)
		}
	}
	return b.String()
}
