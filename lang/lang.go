// Package lang decides which language a reader sees and carries the UI
// strings in both of the product's languages. It builds for the server and
// for the wasm, so both render the same words.
package lang

import (
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	"github.com/kaiconn/consent/locales/messages"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// The product's languages, as BCP 47 tags. The policy exists in exactly
// these two; Traditional Chinese readers get Simplified Chinese until a
// traditional version exists.
const (
	ZhHans = "zh-Hans"
	En     = "en"
)

// All lists the languages in the order the policy's seed gives them.
var All = []string{ZhHans, En}

// Default is the language for readers whose preferences name neither.
const Default = En

// Valid reports whether tag is exactly one of the product's languages.
func Valid(tag string) bool { return tag == ZhHans || tag == En }

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
type Bundle struct {
	b *i18n.Bundle
	// ids maps a language to the message ids its files define, so a test
	// can prove both languages say the same things.
	ids map[string]map[string]bool
}

// Load reads every *.toml message file in fsys.
func Load(fsys fs.FS) (*Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	out := &Bundle{b: b, ids: map[string]map[string]bool{}}
	files, err := fs.Glob(fsys, "*.toml")
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		mf, err := b.ParseMessageFileBytes(data, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		l, ok := Normalize(mf.Tag.String())
		if !ok || l != mf.Tag.String() {
			return nil, fmt.Errorf("%s: language %q is not one of %v", name, mf.Tag, All)
		}
		if out.ids[l] == nil {
			out.ids[l] = map[string]bool{}
		}
		for _, m := range mf.Messages {
			if out.ids[l][m.ID] {
				return nil, fmt.Errorf("%s: message %q defined twice", name, m.ID)
			}
			out.ids[l][m.ID] = true
		}
	}
	return out, nil
}

var (
	defaultOnce   sync.Once
	defaultBundle *Bundle
	defaultErr    error
)

// Default returns the bundle of the product's own message files, loaded
// once. A broken message file is a build defect, caught by the tests.
func DefaultBundle() *Bundle {
	defaultOnce.Do(func() { defaultBundle, defaultErr = Load(messages.FS) })
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultBundle
}

// IDs returns the message ids defined for language l.
func (b *Bundle) IDs(l string) map[string]bool { return b.ids[l] }

// Localizer returns the strings of language l.
func (b *Bundle) Localizer(l string) *Localizer {
	return &Localizer{Lang: l, l: i18n.NewLocalizer(b.b, l)}
}

// Localizer gives the UI strings of one language.
type Localizer struct {
	Lang string
	l    *i18n.Localizer
}

// T returns message id, filled with data (a map or struct for the
// message's template fields). A missing message is a defect the tests catch;
// at run time it shows the id rather than failing the page.
func (l *Localizer) T(id string, data ...any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(data) > 0 {
		cfg.TemplateData = data[0]
	}
	s, err := l.l.Localize(cfg)
	if err != nil {
		return id
	}
	return s
}

// Other returns the product's other language, for the language switch.
func Other(l string) string {
	if l == ZhHans {
		return En
	}
	return ZhHans
}
