package lang

import (
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/locales/messages"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The product's languages, as BCP 47 tags. The policy exists in exactly
// these two; Traditional Chinese readers get Simplified Chinese until a
// traditional version exists.
const (
	ZhHans = texts.ZhHans
	En     = texts.En
)

// All lists the languages in the order the policy's seed gives them.
var All = []string{ZhHans, En}

// Default is the language for readers whose preferences name neither.
const Default = texts.Default

// Normalize maps any BCP 47 tag to one of the product's languages: every
// Chinese variant (zh, zh-CN, zh-Hans, zh-SG, zh-TW, zh-HK) to zh-Hans, English
// to en. ok is false for anything else and for garbage.
func Normalize(tag string) (string, bool) {
	t, err := language.Parse(strings.TrimSpace(tag))
	if err != nil {
		return "", false
	}
	switch base, _ := t.Base(); base.String() {
	case "zh":
		return ZhHans, true
	case "en":
		return En, true
	}
	return "", false
}

// Choose picks the reader's language: an explicit ?lang= first, then the
// preference cookie, then the browser's Accept-Language (or
// navigator.languages joined the same way), then Default. Each source that
// names an unknown language is skipped, not trusted.
func Choose(query, cookie, acceptLanguage string) string {
	for _, v := range []string{query, cookie} {
		if l, ok := Normalize(v); ok {
			return l
		}
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err == nil {
		// ParseAcceptLanguage sorts by q-value, so the first tag we know wins.
		for _, t := range tags {
			if l, ok := Normalize(t.String()); ok {
				return l
			}
		}
	}
	return Default
}

// Bundle is the set of UI strings in every language.
//
// go-i18n reads the message files; the product fills a message's
// placeholders ({{.Name}}) itself instead of running go-i18n's text/template
// executor. That executor looks methods up by name at run time, which makes
// the Go linker keep every exported method of every type in app.wasm: it
// tripled the wasm. Load refuses any template syntax beyond {{.Name}} and
// any plural form, so nothing a message file says is lost.
type Bundle struct {
	// msgs maps a language to its messages by id.
	msgs map[string]map[string]string
}

// Load reads every *.toml message file in fsys.
func Load(fsys fs.FS) (*Bundle, error) {
	out := &Bundle{msgs: map[string]map[string]string{}}
	files, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	unmarshal := map[string]i18n.UnmarshalFunc{"toml": toml.Unmarshal}
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		mf, err := i18n.ParseMessageFileBytes(data, name, unmarshal)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		l, ok := Normalize(mf.Tag.String())
		if !ok || l != mf.Tag.String() {
			return nil, fmt.Errorf("%s: language %q is not one of %v", name, mf.Tag, All)
		}
		if out.msgs[l] == nil {
			out.msgs[l] = map[string]string{}
		}
		for _, m := range mf.Messages {
			if _, dup := out.msgs[l][m.ID]; dup {
				return nil, fmt.Errorf("%s: message %q defined twice", name, m.ID)
			}
			if m.Zero+m.One+m.Two+m.Few+m.Many != "" {
				return nil, fmt.Errorf("%s: message %q: plural forms are not used; write one text", name, m.ID)
			}
			if !texts.Placeholders(m.Other) {
				return nil, fmt.Errorf("%s: message %q: only {{.Name}} placeholders are allowed", name, m.ID)
			}
			out.msgs[l][m.ID] = m.Other
		}
	}
	return out, nil
}

var (
	defaultOnce   sync.Once
	defaultBundle *Bundle
	defaultErr    error
)

// DefaultBundle returns the bundle of the product's own message files,
// loaded once. A broken message file is a build defect, caught by the tests.
func DefaultBundle() *Bundle {
	defaultOnce.Do(func() { defaultBundle, defaultErr = Load(messages.FS) })
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultBundle
}

// IDs returns the message ids defined for language l.
func (b *Bundle) IDs(l string) map[string]bool {
	ids := map[string]bool{}
	for id := range b.msgs[l] {
		ids[id] = true
	}
	return ids
}

// Localizer returns the strings of language l.
func (b *Bundle) Localizer(l string) *Localizer {
	return texts.New(l, b.msgs[l])
}

// Localizer gives the UI strings of one language (package texts, which the
// wasm uses with the strings a page hands it).
type Localizer = texts.Localizer

// Other returns the product's other language, for the language switch.
func Other(l string) string { return texts.Other(l) }
