package banner

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/kaiconn/consent/lang"
	"github.com/kaiconn/consent/views"
)

// handleDemo serves /demo, a stand-in for a website that embeds the banner:
// tests, benchmarks and evaluators drive the banner through it exactly as a
// site would. It gets a CSP of its own, as a site would have: a nonce for
// its held inline script and frame-src for the banner and the held frame.
func (b *Banner) handleDemo(w http.ResponseWriter, r *http.Request) {
	l := lang.Choose(r.URL.Query().Get("lang"), "", r.Header.Get("Accept-Language"))
	raw := make([]byte, 16)
	rand.Read(raw)
	nonce := base64.StdEncoding.EncodeToString(raw)
	w.Header().Set("Content-Security-Policy", strings.Join([]string{
		"default-src 'none'",
		"script-src 'self' 'nonce-" + nonce + "'",
		"style-src 'self'",
		"img-src 'self' data:",
		"connect-src 'self'",
		"frame-src 'self'",
		"form-action 'self'",
		"base-uri 'none'",
		"object-src 'none'",
		"frame-ancestors 'self'",
	}, "; "))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := views.DemoPage(views.DemoView{Lang: l, Nonce: nonce}, b.d.Msgs.Localizer(l)).Render(r.Context(), w); err != nil {
		b.d.Log.Error("render demo", "err", err)
	}
}

func (b *Banner) handleDemoFrame(w http.ResponseWriter, r *http.Request) {
	l := lang.Choose(r.URL.Query().Get("lang"), "", r.Header.Get("Accept-Language"))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := views.DemoFrame(b.d.Msgs.Localizer(l)).Render(r.Context(), w); err != nil {
		b.d.Log.Error("render demo frame", "err", err)
	}
}
