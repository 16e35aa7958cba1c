package server

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// halfWidthByCJK is an ASCII , : ; ( ) ! ? with Chinese text (a Han
// character, CJK punctuation or a full-width form) on either side.
var halfWidthByCJK = regexp.MustCompile(`[\p{Han}\x{3000}-\x{303F}\x{FF00}-\x{FFEF}][,:;()!?]|[,:;()!?][\p{Han}\x{3000}-\x{303F}\x{FF00}-\x{FFEF}]`)

// bracketAfterChineseWord is an ASCII bracket opening right after a
// Chinese word that ends in Latin letters or digits ("友盟统计SDK(com.umeng)").
var bracketAfterChineseWord = regexp.MustCompile(`[\p{Han}][A-Za-z0-9]+\(`)

// textRun is the text between two tags; scripts and styles are cut first.
var (
	textRun   = regexp.MustCompile(`>([^<]+)<`)
	scriptish = regexp.MustCompile(`(?s)<(script|style)[^>]*>.*?</(script|style)>`)
)

// Every Chinese page shows Chinese text with full-width punctuation,
// though the policy and the catalogue it quotes were typed with ASCII
// marks (cjk.Punctuate).
func TestChinesePagesUseFullWidthPunctuation(t *testing.T) {
	h := newTestServer(t).Handler()
	for _, path := range []string{"/privacy", "/privacy?view=bilingual", "/privacy?q=SDK", "/privacy/collected", "/privacy/shared",
		"/consent", "/settings/privacy", "/banner", "/banner?layer=2", "/permission?p=s2-3-perms-17", "/permission?p=s2-3-perms-1", "/demo"} {
		t.Run(path, func(t *testing.T) {
			target := path + map[bool]string{true: "&", false: "?"}[strings.Contains(path, "?")] + "lang=zh-Hans"
			w := getPage(t, h, target)
			require.Equal(t, 200, w.Code, target)
			page := scriptish.ReplaceAllString(w.Body.String(), "")
			for _, m := range textRun.FindAllStringSubmatch(page, -1) {
				text := html.UnescapeString(m[1])
				for _, bad := range halfWidthByCJK.FindAllString(text, -1) {
					assert.Failf(t, "half-width punctuation in Chinese text", "%q in %q", bad, text)
				}
				for _, bad := range bracketAfterChineseWord.FindAllString(text, -1) {
					assert.Failf(t, "half-width bracket after a Chinese word", "%q in %q", bad, text)
				}
			}
		})
	}
}
