package server

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kaiconn/consent/banner"
	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/locales/localestest"
)

func TestPrivacy(t *testing.T) {
	s := newTestServer(t)
	h := s.Handler()

	t.Run("Golden", func(t *testing.T) {
		for _, tt := range []struct{ name, target string }{
			{"privacy.en.html", "/privacy?lang=en"},
			{"privacy.zh-Hans.html", "/privacy?lang=zh-Hans"},
			{"privacy.en.bugly.html", "/privacy?lang=en&q=Bugly"},
			{"privacy.zh-Hans.bilingual.html", "/privacy?lang=zh-Hans&view=bilingual"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				w := getPage(t, h, tt.target)
				assert.Equal(t, http.StatusOK, w.Code)
				golden(t, tt.name, w.Body.Bytes())
			})
		}
	})
	t.Run("LanguageFromAcceptLanguage", func(t *testing.T) {
		w := getPage(t, h, "/privacy", "Accept-Language", "zh-TW,zh;q=0.9")
		assert.Contains(t, w.Body.String(), `<html lang="zh-Hans"`)
		assert.Empty(t, w.Result().Cookies(), "no cookie without an explicit choice")
	})
	t.Run("QueryLangStoresNothing", func(t *testing.T) {
		// A link, the app or embed.js may name a language; that is no
		// choice of the person's.
		w := getPage(t, h, "/privacy?lang=en", "Accept-Language", "zh-CN")
		assert.Contains(t, w.Body.String(), `<html lang="en"`)
		assert.Empty(t, w.Result().Cookies())
		w = getPage(t, h, "/privacy", "Cookie", "kc_lang=en", "Accept-Language", "zh-CN")
		assert.Contains(t, w.Body.String(), `<html lang="en"`, "a remembered choice is still read")
	})
	t.Run("SwitchChoiceKeptInTheAddressWithoutPreferences", func(t *testing.T) {
		// The banner's preferences category says preference cookies
		// remember the language: without that consent the switch stores
		// nothing, and the language stays in the address.
		page := getPage(t, h, "/consent?lang=zh-Hans").Body.String()
		assert.Contains(t, page, `href="/consent?lang=en&amp;open=1&amp;setlang=1"`, "the switch says it is a choice")
		for _, path := range []string{"/consent?lang=en&setlang=1", "/settings/privacy?lang=en&setlang=1", "/privacy?lang=en&setlang=1"} {
			w := getPage(t, h, path, "Accept-Language", "zh-CN")
			assert.Contains(t, w.Body.String(), `<html lang="en"`, path)
			assert.Empty(t, w.Result().Cookies(), "%s: no kc_lang before preferences are allowed", path)
		}
		onlyNecessary := banner.Cookie{PolicyVersion: localestest.Base, Granted: []consent.PurposeID{"necessary", "analytics"},
			At: time.Unix(1732867200, 0), ReceiptID: "6f1c2a4e-0b7d-4c1e-9a3f-5d8e7b6c4a21"}.Encode(s.newCookieKeys(banner.CookieName))
		w := getPage(t, h, "/privacy?lang=en&setlang=1", "Cookie", "kc_consent="+onlyNecessary)
		assert.Empty(t, w.Result().Cookies(), "a decision without preferences stores no language")
	})
	t.Run("SwitchChoiceRememberedWithPreferences", func(t *testing.T) {
		prefs := banner.Cookie{PolicyVersion: localestest.Base, Granted: []consent.PurposeID{"necessary", "preferences"},
			At: time.Unix(1732867200, 0), ReceiptID: "6f1c2a4e-0b7d-4c1e-9a3f-5d8e7b6c4a21"}.Encode(s.newCookieKeys(banner.CookieName))
		for _, path := range []string{"/consent?lang=en&setlang=1", "/settings/privacy?lang=en&setlang=1", "/privacy?lang=en&setlang=1"} {
			w := getPage(t, h, path, "Accept-Language", "zh-CN", "Cookie", "kc_consent="+prefs)
			cookies := w.Result().Cookies()
			if assert.Len(t, cookies, 1, path) {
				assert.Equal(t, "kc_lang", cookies[0].Name)
				assert.Equal(t, "en", cookies[0].Value)
			}
		}
		forged := prefs[:len(prefs)-2] + "AA"
		w := getPage(t, h, "/privacy?lang=en&setlang=1", "Cookie", "kc_consent="+forged)
		assert.Empty(t, w.Result().Cookies(), "only a decision the server signed allows it")
	})
	t.Run("NothingUnderGPC", func(t *testing.T) {
		for _, path := range []string{"/consent?lang=en&setlang=1", "/privacy?lang=en&setlang=1", "/banner?lang=en"} {
			w := getPage(t, h, path, "Sec-GPC", "1")
			assert.Empty(t, w.Result().Cookies(), path)
		}
	})
	t.Run("SearchMarksHits", func(t *testing.T) {
		w := getPage(t, h, "/privacy?lang=zh-Hans&q=%E5%8F%8B%E7%9B%9F")
		assert.Contains(t, w.Body.String(), `<mark class="kc-hit" id="kc-hit-1">友盟</mark>`)
	})
	t.Run("SearchIsEscaped", func(t *testing.T) {
		w := getPage(t, h, `/privacy?lang=en&q=%3Cscript%3E`)
		assert.NotContains(t, w.Body.String(), "<script>")
	})
	t.Run("ErrUnknownVersion", func(t *testing.T) {
		w := getPage(t, h, "/privacy?version=1999-01")
		assert.Equal(t, http.StatusNotFound, w.Code)
	})
	t.Run("StrictCSP", func(t *testing.T) {
		csp := getPage(t, h, "/privacy").Header().Get("Content-Security-Policy")
		assert.Contains(t, csp, "default-src 'none'")
		assert.Contains(t, csp, "script-src 'self' 'wasm-unsafe-eval'")
		assert.NotContains(t, csp, "unsafe-inline")
	})
	t.Run("NoThirdPartyReference", func(t *testing.T) {
		body := getPage(t, h, "/privacy?lang=en").Body.String()
		// The policy links out to the SDK vendors' policies as anchors
		// only; nothing is loaded from another origin.
		for _, tag := range []string{`<script src="http`, `<link rel="stylesheet" href="http`, `<img src="http`, `<iframe`} {
			assert.False(t, strings.Contains(body, tag), "page loads %s", tag)
		}
	})
}
