package texts

import (
	"fmt"
	"reflect"
	"strings"
)

// The product's languages, as BCP 47 tags. The policy exists in exactly
// these two; Traditional Chinese readers get Simplified Chinese until a
// traditional version exists.
const (
	ZhHans = "zh-Hans"
	En     = "en"
)

// Default is the language for readers whose preferences name neither.
const Default = En

// Other returns the product's other language, for the language switch.
func Other(l string) string {
	if l == ZhHans {
		return En
	}
	return ZhHans
}

// Localizer gives the UI strings of one language.
type Localizer struct {
	Lang string
	msgs map[string]string
}

// New returns the localizer of language l over messages msgs (by id, with
// their placeholders unfilled). It keeps msgs as given.
func New(l string, msgs map[string]string) *Localizer {
	return &Localizer{Lang: l, msgs: msgs}
}

// Messages returns the messages whose ids start with one of prefixes (all
// of them without a prefix), unfilled: what a page hands its wasm.
func (l *Localizer) Messages(prefixes ...string) map[string]string {
	out := map[string]string{}
	for id, m := range l.msgs {
		if len(prefixes) == 0 {
			out[id] = m
			continue
		}
		for _, p := range prefixes {
			if strings.HasPrefix(id, p) {
				out[id] = m
				break
			}
		}
	}
	return out
}

// Has reports whether message id exists in this language.
func (l *Localizer) Has(id string) bool {
	_, ok := l.msgs[id]
	return ok
}

// T returns message id with its placeholders filled from data, a map with
// string keys (map[string]any, map[string]int, …). A missing message is a
// defect the tests catch; at run time it shows the id rather than failing
// the page.
func (l *Localizer) T(id string, data ...any) string {
	s, ok := l.msgs[id]
	if !ok {
		return id
	}
	if len(data) == 0 || !strings.Contains(s, "{{") {
		return s
	}
	m := reflect.ValueOf(data[0])
	if m.Kind() != reflect.Map || m.Type().Key().Kind() != reflect.String {
		return s
	}
	return Fill(s, func(name string) (string, bool) {
		v := m.MapIndex(reflect.ValueOf(name).Convert(m.Type().Key()))
		if !v.IsValid() {
			return "", false
		}
		return fmt.Sprint(v.Interface()), true
	})
}

// Fill replaces every {{.Name}} placeholder of s (spaces allowed inside the
// braces) by value(Name); a placeholder value does not know is left as it
// is. It is the only template syntax message files may use.
func Fill(s string, value func(name string) (string, bool)) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		name, n, ok := placeholder(s[i:])
		if !ok {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		if v, ok := value(name); ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+n])
		}
		s = s[i+n:]
	}
}

// Placeholders reports whether every "{{" and "}}" in s belongs to a
// {{.Name}} placeholder: message files allow nothing else.
func Placeholders(s string) bool {
	rest := Fill(s, func(string) (string, bool) { return "", true })
	return !strings.Contains(rest, "{{") && !strings.Contains(rest, "}}")
}

// placeholder reads "{{ .Name }}" at the start of s: the name and the
// length of the placeholder. A name is a letter then letters or digits.
func placeholder(s string) (name string, n int, ok bool) {
	i := 2
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i >= len(s) || s[i] != '.' {
		return "", 0, false
	}
	i++
	start := i
	for i < len(s) && (isLetter(s[i]) || (i > start && isDigit(s[i]))) {
		i++
	}
	if i == start {
		return "", 0, false
	}
	name = s[start:i]
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if !strings.HasPrefix(s[i:], "}}") {
		return "", 0, false
	}
	return name, i + 2, true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
