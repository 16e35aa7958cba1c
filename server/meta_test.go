package server

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/lang"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var metaDescription = regexp.MustCompile(`<meta name="description" content="([^"]*)"`)

// Every page carries a description, in its language, from the messages
// (meta_description_<surface>).
func TestEveryPageHasAMetaDescription(t *testing.T) {
	h := newTestServer(t).Handler()
	msgs := lang.DefaultBundle()
	for _, tc := range []struct{ path, surface string }{
		{"/consent", "gate"}, {"/settings/privacy", "settings"}, {"/privacy", "privacy"},
		{"/privacy/collected", "lists"}, {"/privacy/shared", "lists"}, {"/permission?p=s2-3-perms-17", "permission"},
		{"/banner", "banner"}, {"/demo", "demo"},
	} {
		for _, l := range lang.All {
			t.Run(tc.path+"/"+l, func(t *testing.T) {
				sep := map[bool]string{true: "&", false: "?"}[strings.Contains(tc.path, "?")]
				w := getPage(t, h, tc.path+sep+"lang="+l)
				require.Equal(t, http.StatusOK, w.Code)
				m := metaDescription.FindStringSubmatch(w.Body.String())
				require.NotNil(t, m, "no meta description")
				want := msgs.Localizer(l).T("meta_description_" + tc.surface)
				assert.NotEqual(t, "meta_description_"+tc.surface, want, "the message exists")
				assert.Equal(t, want, strings.NewReplacer("&#39;", "'", "&amp;", "&").Replace(m[1]))
			})
		}
	}
}

// /favicon.ico answers with the icon the pages link, not 404.
func TestFavicon(t *testing.T) {
	h := newTestServer(t).Handler()
	w := getPage(t, h, "/favicon.ico")
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "image/svg+xml", w.Header().Get("Content-Type"))
	icon, err := os.ReadFile(filepath.Join("..", "web", "static", "icon.svg"))
	require.NoError(t, err)
	assert.Equal(t, string(icon), w.Body.String())
}

// One brand mark on every surface: the gate, the settings and the
// permission page write the one wordmark (components.WordmarkHTML), which
// the policy's and the lists' brand link draw from the same icon.
func TestOneBrandMark(t *testing.T) {
	h := newTestServer(t).Handler()
	for _, path := range []string{"/consent", "/settings/privacy", "/permission?p=s2-3-perms-17"} {
		t.Run(path, func(t *testing.T) {
			page := getPage(t, h, path).Body.String()
			assert.Equal(t, 1, strings.Count(page, `class="kc-wordmark"`), "the wordmark, once")
			assert.Equal(t, 1, strings.Count(page, `class="kc-mark-k"`), "with the mark")
			assert.False(t, strings.Contains(page, "kc-gate__brand"), "no mark of the gate's own")
		})
	}
}

// One separate-consent badge: the gate and the settings page write the same
// markup for each of the five SDK purposes (components.SeparateBadgeHTML),
// in Chinese the term alone, in English with the governing Chinese term.
func TestOneSeparateConsentBadge(t *testing.T) {
	h := newTestServer(t).Handler()
	for _, l := range lang.All {
		badge := components.SeparateBadgeHTML(lang.DefaultBundle().Localizer(l))
		for _, path := range []string{"/consent?lang=" + l, "/settings/privacy?lang=" + l} {
			t.Run(path, func(t *testing.T) {
				page := getPage(t, h, path).Body.String()
				assert.Equal(t, 5, strings.Count(page, badge), "the one badge, once per SDK purpose")
				assert.Equal(t, 5, strings.Count(page, "kc-badge--separate"), "and no other separate-consent badge")
			})
		}
	}
}
