package lang_test

import (
	"sort"
	"testing"
	"testing/fstest"

	"github.com/kaiconn/consent/lang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChoose(t *testing.T) {
	for _, tt := range []struct {
		name, query, cookie, accept, want string
	}{
		{"QueryWins", "en", "zh-Hans", "zh-CN", lang.En},
		{"QueryZh", "zh", "", "en", lang.ZhHans},
		{"CookieBeforeHeader", "", "zh-Hans", "en-US", lang.ZhHans},
		{"GarbageQuerySkipped", "klingon!!", "", "zh-CN,zh;q=0.9", lang.ZhHans},
		{"UnknownQuerySkipped", "fr", "en", "zh", lang.En},
		{"Zh", "", "", "zh", lang.ZhHans},
		{"ZhCN", "", "", "zh-CN", lang.ZhHans},
		{"ZhHans", "", "", "zh-Hans", lang.ZhHans},
		{"ZhSG", "", "", "zh-SG", lang.ZhHans},
		{"ZhTWUntilTraditionalExists", "", "", "zh-TW", lang.ZhHans},
		{"ZhHK", "", "", "zh-HK", lang.ZhHans},
		{"EnglishUS", "", "", "en-US,en;q=0.9", lang.En},
		{"FrenchFallsToEnglish", "", "", "fr-FR,fr;q=0.9", lang.En},
		{"QValuesOrder", "", "", "en;q=0.5, zh-CN;q=0.8", lang.ZhHans},
		{"FirstKnownAfterUnknown", "", "", "fr, zh;q=0.8", lang.ZhHans},
		{"Empty", "", "", "", lang.En},
		{"GarbageHeader", "", "", ";;;q=abc", lang.En},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, lang.Choose(tt.query, tt.cookie, tt.accept))
		})
	}
}

// Every UI string must exist in both languages: a message in only one
// language would show a raw id to half of the readers.
func TestEveryMessageInBothLanguages(t *testing.T) {
	b := lang.DefaultBundle()
	zh, en := b.IDs(lang.ZhHans), b.IDs(lang.En)
	require.NotEmpty(t, en)
	assert.Empty(t, missing(en, zh), "messages with no zh-Hans text")
	assert.Empty(t, missing(zh, en), "messages with no en text")
}

func missing(have, in map[string]bool) []string {
	var out []string
	for id := range have {
		if !in[id] {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func TestLoad(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		b, err := lang.Load(fstest.MapFS{
			"a.en.toml":      {Data: []byte(`hello = "Hello {{.Name}}"`)},
			"a.zh-Hans.toml": {Data: []byte(`hello = "你好 {{.Name}}"`)},
		})
		require.NoError(t, err)
		assert.Equal(t, "你好 Wu", b.Localizer(lang.ZhHans).T("hello", map[string]string{"Name": "Wu"}))
		assert.Equal(t, "Hello Wu", b.Localizer(lang.En).T("hello", map[string]string{"Name": "Wu"}))
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		_, err := lang.Load(fstest.MapFS{
			"a.en.toml": {Data: []byte(`hello = "Hello"`)},
			"b.en.toml": {Data: []byte(`hello = "Hi"`)},
		})
		assert.ErrorContains(t, err, `"hello" defined twice`)
	})
	t.Run("ErrUnknownLanguage", func(t *testing.T) {
		_, err := lang.Load(fstest.MapFS{"a.fr.toml": {Data: []byte(`hello = "Salut"`)}})
		assert.ErrorContains(t, err, "not one of")
	})
	t.Run("AnyStringKeyedMap", func(t *testing.T) {
		b, err := lang.Load(fstest.MapFS{"a.zh-Hans.toml": {Data: []byte(`n = "共{{.Count}}项"`)}})
		require.NoError(t, err)
		l := b.Localizer(lang.ZhHans)
		assert.Equal(t, "共5项", l.T("n", map[string]int{"Count": 5}))
		assert.Equal(t, "共5项", l.T("n", map[string]string{"Count": "5"}))
		assert.Equal(t, "共5项", l.T("n", map[string]any{"Count": 5}))
	})
	t.Run("MissingPlaceholderValueStays", func(t *testing.T) {
		b, err := lang.Load(fstest.MapFS{"a.en.toml": {Data: []byte(`hello = "Hello {{ .Name }}, {{.Other}}"`)}})
		require.NoError(t, err)
		assert.Equal(t, "Hello 3, {{.Other}}", b.Localizer(lang.En).T("hello", map[string]any{"Name": 3}))
	})
	t.Run("ErrTemplateLogic", func(t *testing.T) {
		_, err := lang.Load(fstest.MapFS{"a.en.toml": {Data: []byte(`hello = "{{if .X}}yes{{end}}"`)}})
		assert.ErrorContains(t, err, "only {{.Name}} placeholders")
	})
	t.Run("ErrPlural", func(t *testing.T) {
		_, err := lang.Load(fstest.MapFS{"a.en.toml": {Data: []byte("[hits]\none = \"one hit\"\nother = \"{{.Count}} hits\"")}})
		assert.ErrorContains(t, err, "plural forms are not used")
	})
	t.Run("ErrSyntax", func(t *testing.T) {
		_, err := lang.Load(fstest.MapFS{"a.en.toml": {Data: []byte(`hello = `)}})
		assert.ErrorContains(t, err, "a.en.toml")
	})
}
