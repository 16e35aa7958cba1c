package server

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/appconsent"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/views"
)

// decisionCookie is the kc_app_consent cookie of one decision under the
// policy in force that grants exactly the optional purposes given.
func decisionCookie(t *testing.T, s *Server, granted ...consent.PurposeID) string {
	t.Helper()
	cat := s.catalogues[s.policies.Latest().ID]
	d, err := consent.Agree(cat, consent.SurfaceFirstLaunch, granted, "zh-Hans", time.Now().Add(-time.Hour))
	require.NoError(t, err)
	return appconsent.CookieName + "=" + appconsent.EncodeCookie(s.newCookieKeys(appconsent.CookieName), []appconsent.Decision{{Decision: d, ReceiptID: uuid.NewString()}})
}

// appStateParam is the ?state= the app hands the page: its last bridge message.
func appStateParam(t *testing.T, purposes map[string]bool) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": "consent", "decision": "agreed", "policyVersion": localestest.Base,
		"purposes": purposes, "receiptId": uuid.NewString()})
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b)
}

var allOptional = []string{"push", "wechat-share", "location", "crash-reports", "analytics"}

func purposes(granted ...string) map[string]bool {
	m := map[string]bool{"basic": true}
	for _, id := range allOptional {
		m[id] = false
	}
	for _, id := range granted {
		m[id] = true
	}
	return m
}

// pageState reads the state /permission rendered: data-state on <main>.
func pageState(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`<main id="main" class="kc-permission" data-permission="[^"]*" data-state="([a-z-]+)"`).FindStringSubmatch(body)
	require.Len(t, m, 2, "no permission page")
	return m[1]
}

func TestPermission(t *testing.T) {
	s := newTestServer(t)
	h := s.Handler()
	cat := s.catalogues[s.policies.Latest().ID]

	t.Run("Golden", func(t *testing.T) {
		for _, tt := range []struct{ name, target string }{
			{"permission.location.zh-Hans.html", "/permission?p=s2-3-perms-17&lang=zh-Hans&state=" + appStateParam(t, purposes("location"))},
			{"permission.location.en.refused.html", "/permission?p=s2-3-perms-17&lang=en&state=" + appStateParam(t, purposes())},
			{"permission.device.en.html", "/permission?p=s2-3-perms-1&lang=en"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				w := getPage(t, h, tt.target)
				assert.Equal(t, http.StatusOK, w.Code)
				// The host state holds a fresh receipt id; the golden file
				// must not.
				body := regexp.MustCompile(`state=[A-Za-z0-9_-]+`).ReplaceAll(w.Body.Bytes(), []byte("state=STATE"))
				golden(t, tt.name, body)
			})
		}
	})

	t.Run("EveryPermissionInBothLanguages", func(t *testing.T) {
		v := s.policies.Latest()
		for _, l := range []string{"zh-Hans", "en"} {
			doc, _ := v.Doc(l)
			for _, b := range doc.Permissions() {
				perm, _, p, ok := cat.Permission(b.ID)
				require.True(t, ok)
				_, name, _ := doc.Permission(b.ID)
				target := "/permission?p=" + b.ID + "&lang=" + l + "&state=" + appStateParam(t, purposes(allOptional...))
				w := getPage(t, h, target)
				require.Equal(t, http.StatusOK, w.Code, target)
				body := w.Body.String()
				assert.Contains(t, body, `<html lang="`+l+`"`)
				assert.Contains(t, body, html.EscapeString(name))
				assert.Contains(t, body, html.EscapeString(perm.Use.Show(l)))
				assert.Contains(t, body, html.EscapeString(perm.Without.Show(l)))
				assert.Contains(t, body, html.EscapeString(p.Title.Show(l)))
				assert.Equal(t, views.PermissionAsk, pageState(t, body), "everything granted")
				assert.Contains(t, body, `id="kc-permission-continue" data-permission-choice="continue"`)
				assert.Contains(t, body, `id="kc-permission-later" data-permission-choice="later"`)
				assert.NotContains(t, body, "{{")
			}
		}
	})

	t.Run("ContinueAndNotNowAreAlike", func(t *testing.T) {
		body := getPage(t, h, "/permission?p=s2-3-perms-1&lang=zh-Hans").Body.String()
		button := regexp.MustCompile(`<button type="button" class="([^"]*)" id="kc-permission-(later|continue)"`)
		got := button.FindAllStringSubmatch(body, -1)
		require.Len(t, got, 2)
		assert.Equal(t, got[0][1], got[1][1], "the same element with the same class")
	})

	t.Run("State", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			target string
			cookie string
			want   string
		}{
			{"RequiredPurposeWithoutDecision", "/permission?p=s2-3-perms-1", "", views.PermissionAsk},
			{"RequiredPurposeRefusingEverythingElse", "/permission?p=s2-3-perms-1", decisionCookie(t, s), views.PermissionAsk},
			{"OptionalWithoutDecision", "/permission?p=s2-3-perms-17", "", views.PermissionNotAsked},
			{"GrantedInCookie", "/permission?p=s2-3-perms-17", decisionCookie(t, s, "location"), views.PermissionAsk},
			{"RefusedInCookie", "/permission?p=s2-3-perms-17", decisionCookie(t, s, "push"), views.PermissionRefused},
			{"GrantedInHostState", "/permission?p=s2-3-perms-19&state=" + appStateParam(t, purposes("crash-reports")), "", views.PermissionAsk},
			{"RefusedInHostState", "/permission?p=s2-3-perms-19&state=" + appStateParam(t, purposes("push")), "", views.PermissionRefused},
			{"HostStateOverridesCookie", "/permission?p=s2-3-perms-17&state=" + appStateParam(t, purposes()), decisionCookie(t, s, "location"), views.PermissionRefused},
			{"BadHostStateFallsBackToCookie", "/permission?p=s2-3-perms-17&state=not-base64!", decisionCookie(t, s, "location"), views.PermissionAsk},
			{"ForgedCookieIsNoDecision", "/permission?p=s2-3-perms-17", appconsent.CookieName + "=eyJ2IjoxfQ.forged", views.PermissionNotAsked},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var header []string
				if tt.cookie != "" {
					header = []string{"Cookie", tt.cookie}
				}
				w := getPage(t, h, tt.target+"&lang=en", header...)
				require.Equal(t, http.StatusOK, w.Code)
				body := w.Body.String()
				assert.Equal(t, tt.want, pageState(t, body))
				if tt.want == views.PermissionAsk {
					assert.Contains(t, body, `data-permission-choice="continue"`)
					assert.NotContains(t, body, `id="kc-permission-settings"`)
				} else {
					assert.NotContains(t, body, `data-permission-choice="continue"`, "no way to the OS prompt")
					assert.Contains(t, body, `id="kc-permission-settings"`)
					assert.Contains(t, body, `data-permission-choice="later"`)
				}
				assert.Empty(t, w.Result().Cookies(), "the page sets no cookie")
				assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			})
		}
	})

	t.Run("SettingsCarryTheHostState", func(t *testing.T) {
		st := appStateParam(t, purposes())
		body := getPage(t, h, "/permission?p=s2-3-perms-17&lang=zh-Hans&state="+st).Body.String()
		m := regexp.MustCompile(`id="kc-permission-settings" href="([^"]*)"`).FindStringSubmatch(body)
		require.Len(t, m, 2)
		u, err := url.Parse(html.UnescapeString(m[1]))
		require.NoError(t, err)
		assert.Equal(t, "/settings/privacy", u.Path)
		assert.Equal(t, st, u.Query().Get("state"))
		assert.Equal(t, "zh-Hans", u.Query().Get("lang"))
		assert.Contains(t, body, "您已拒绝「位置服务」")
	})

	t.Run("LanguageSwitchKeepsPermissionAndState", func(t *testing.T) {
		st := appStateParam(t, purposes("location"))
		body := getPage(t, h, "/permission?p=s2-3-perms-17&lang=zh-Hans&state="+st).Body.String()
		m := regexp.MustCompile(`<p class="kc-permission__lang"><a href="([^"]*)"`).FindStringSubmatch(body)
		require.Len(t, m, 2)
		u, err := url.Parse(html.UnescapeString(m[1]))
		require.NoError(t, err)
		assert.Equal(t, url.Values{"p": {"s2-3-perms-17"}, "lang": {"en"}, "state": {st}}, u.Query())
	})

	t.Run("NoWasmAndNoInlineScript", func(t *testing.T) {
		body := getPage(t, h, "/permission?p=s2-3-perms-17&lang=en").Body.String()
		assert.NotContains(t, body, "boot.js", "the page before an OS prompt loads no wasm")
		assert.Regexp(t, `<script src="/static/permission\.[0-9a-f]{12}\.js" defer></script>`, body)
		assert.Equal(t, 1, strings.Count(body, "<script"), "one external script and nothing inline")
	})

	t.Run("ErrUnknownPermission", func(t *testing.T) {
		for _, target := range []string{"/permission?p=s2-3-perms-27&lang=en", "/permission?p=s2-3-p1&lang=en", "/permission?lang=zh-Hans", "/permission?p=%3Cscript%3E"} {
			w := getPage(t, h, target)
			assert.Equal(t, http.StatusNotFound, w.Code, target)
			assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
			body := w.Body.String()
			assert.Contains(t, body, `data-state="unknown"`)
			assert.Contains(t, body, `href="/privacy/collected?lang=`)
			assert.NotContains(t, body, "<script>")
		}
	})
}
