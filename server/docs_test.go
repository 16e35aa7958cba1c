package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/components"
	"github.com/kaiconn/consent/lists"
	"github.com/kaiconn/consent/policyview"
)

// The wasm renders what these documents hold and nothing else: they must
// carry the page the server renders, and the strings it shows.
func TestDocsForTheWasm(t *testing.T) {
	s := newTestServer(t)
	h := s.Handler()
	latest := s.policies.Latest().ID

	t.Run("Privacy", func(t *testing.T) {
		for _, tt := range []struct{ target, lang, view, version string }{
			{"/privacy/doc.json?lang=zh-Hans", "zh-Hans", policyview.Single, latest},
			{"/privacy/doc.json?lang=en&view=bilingual&version=" + latest, "en", policyview.Bilingual, latest},
		} {
			t.Run(tt.lang+"/"+tt.view, func(t *testing.T) {
				w := getPage(t, h, tt.target)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
				assert.Equal(t, "public, max-age=300", w.Header().Get("Cache-Control"))
				var d components.PrivacyDoc
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &d))
				assert.Equal(t, tt.lang, d.Page.Lang)
				assert.Equal(t, tt.view, d.Page.View)
				assert.Equal(t, tt.version, d.Page.Version)
				assert.NotEmpty(t, d.Page.TOC)
				assert.Equal(t, tt.view == policyview.Bilingual, d.Page.Rows != nil, "rows only side by side")
				assert.Equal(t, s.msgs.Localizer(tt.lang).T("privacy_title"), d.Strings["privacy_title"])
				assert.NotContains(t, d.Strings, "settings_title", "only the page's own strings")
			})
		}
	})

	t.Run("List", func(t *testing.T) {
		for _, k := range lists.Kinds {
			w := getPage(t, h, "/privacy/"+string(k)+".json?lang=en")
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			var d components.ListDoc
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &d))
			assert.Equal(t, k, d.List.Kind)
			assert.Equal(t, latest, d.List.Version)
			assert.NotEmpty(t, d.List.Groups)
			page := getPage(t, h, "/privacy/"+string(k)+"?lang=en").Body.String()
			assert.Contains(t, page, d.List.SHA256, "the hash the page shows")
			assert.Contains(t, d.Strings, "lists_filter_none")
		}
	})

	t.Run("BadRequests", func(t *testing.T) {
		for _, tt := range []struct {
			target string
			code   int
		}{
			{"/privacy/doc.json", http.StatusBadRequest},
			{"/privacy/doc.json?lang=fr", http.StatusBadRequest},
			{"/privacy/doc.json?lang=en&version=1999-01", http.StatusNotFound},
			{"/privacy/collected.json?lang=xx", http.StatusBadRequest},
			{"/privacy/cookies.json?lang=en", http.StatusNotFound},
		} {
			t.Run(tt.target, func(t *testing.T) {
				assert.Equal(t, tt.code, getPage(t, h, tt.target).Code)
			})
		}
	})
}

// fetchFrom is a component's fetch answered by h, as the browser's would be.
func fetchFrom(t *testing.T, h http.Handler) func(string, any) error {
	return func(path string, v any) error {
		w := getPage(t, h, path)
		if w.Code != http.StatusOK {
			return errors.New(path + ": " + http.StatusText(w.Code))
		}
		return json.Unmarshal(w.Body.Bytes(), v)
	}
}

// Only the pages a component takes over load the wasm; the others never
// download boot.js, wasm_exec.js or app.wasm.
func TestBootOnlyWhereAComponentEnhances(t *testing.T) {
	h := newTestServer(t).Handler()
	for _, tt := range []struct {
		target string
		boots  bool
	}{
		{"/privacy?lang=en", true},
		{"/privacy/shared?lang=en", true},
		{"/settings/privacy?lang=en", true},
		{"/consent?lang=en", false},
		{"/banner?lang=en", false},
	} {
		t.Run(tt.target, func(t *testing.T) {
			w := getPage(t, h, tt.target)
			require.Equal(t, http.StatusOK, w.Code)
			assert.Equal(t, tt.boots, strings.Contains(w.Body.String(), "/static/boot."), "boot.js")
			if !tt.boots {
				assert.NotContains(t, w.Body.String(), "wasm")
			}
		})
	}
}
