package banner

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kaiconn/consent/consent"
	"github.com/kaiconn/consent/credential"
	"github.com/kaiconn/consent/httperr"
	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/locales/localestest"
	"github.com/kaiconn/consent/receipt"
	"github.com/kaiconn/consent/recorder"
)

// aloneDeps are the banner's Deps over fakes: no server, no store. Every
// decision it would record is counted in recorded.
func aloneDeps(t *testing.T, now time.Time, recorded *int) Deps {
	return Deps{
		Catalogue:  localestest.Catalogue(t, localestest.Base),
		Msgs:       lang.DefaultBundle(),
		Key:        testCookieKey,
		CSP:        "default-src 'none'; frame-ancestors 'self'",
		LangCookie: "kc_lang",
		SelfOrigin: func(*http.Request) string { return "https://consent.example" },
		HTTPS:      func(*http.Request) bool { return true },
		Protect:    func(h http.HandlerFunc) http.Handler { return h },
		PageTicket: func(*http.Request) string { return "ticket" },
		CookieSubject: func(*http.Request) string {
			return ""
		},
		PostCredential: func(context.Context, *http.Request) (recorder.Credential, error) {
			return recorder.Credential{Subject: "subject"}, nil
		},
		SetSubject: func(http.ResponseWriter, *http.Request, string) {},
		Resent: func(*http.Request, consent.Decision) (receipt.Record, bool, error) {
			return receipt.Record{}, false, nil
		},
		TicketValue: func(tk credential.Ticket) string { return "signed:" + tk.ReceiptID },
		Record: func(context.Context, consent.Decision, *recorder.Credential, bool) (string, consent.Kind, error) {
			*recorded++
			return "6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b", consent.KindDeclined, nil
		},
		Stored:    func(context.Context, string) (receipt.Record, error) { return receipt.Record{}, nil },
		WantsJSON: func(r *http.Request) bool { return strings.Contains(r.Header.Get("Accept"), "json") },
		WriteJSON: func(w http.ResponseWriter, status int, v any) { httperr.WriteJSON(w, status, v) },
		WriteError: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, err.Error(), httperr.Status(err))
		},
		Now: func() time.Time { return now },
	}
}

func serveAlone(t *testing.T, d Deps, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	b, err := New(d)
	require.NoError(t, err)
	mux := chi.NewRouter()
	b.Mount(mux)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	return w
}

// The decision post goes through the server's form guard (Deps.Protect):
// what the guard refuses is never recorded and sets no cookie.
func TestDecisionGoesThroughTheGuard(t *testing.T) {
	now := time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name     string
		guard    func(http.HandlerFunc) http.Handler
		status   int
		recorded int
	}{
		{"OKLetThrough", func(h http.HandlerFunc) http.Handler { return h }, http.StatusCreated, 1},
		{"ErrRefused", func(http.HandlerFunc) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusForbidden) })
		}, http.StatusForbidden, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var recorded int
			d := aloneDeps(t, now, &recorded)
			d.Protect = tt.guard
			r := httptest.NewRequest(http.MethodPost, "/banner/consent", strings.NewReader(url.Values{"action": {"reject"}, "lang": {"en"}}.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Accept", "application/json")
			w := serveAlone(t, d, r)
			assert.Equal(t, tt.status, w.Code, w.Body.String())
			assert.Equal(t, tt.recorded, recorded)
			if tt.recorded == 0 {
				assert.Empty(t, w.Result().Cookies())
				return
			}
			var o Outcome
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &o))
			c, err := ParseCookie(o.Cookie, testCookieKey)
			require.NoError(t, err)
			assert.True(t, now.Equal(c.At), "dated by the banner's clock: %v", c.At)
		})
	}
}
