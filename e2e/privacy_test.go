package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
)

func TestPrivacyPageServes(t *testing.T) {
	srv := startServer(t)
	ctx := newTab(t)
	do(t, ctx, chromedp.Navigate(srv.URL()+"/privacy?lang=en"))
	assert.Contains(t, eval[string](t, ctx, `document.title`), "Privacy Policy")
	assert.Equal(t, "en", eval[string](t, ctx, `document.documentElement.lang`))
	do(t, ctx, waitWasm())
	assert.Equal(t, 1, eval[int](t, ctx, `document.querySelectorAll("#kc-root").length`))
	assert.Equal(t, "privacy", eval[string](t, ctx, `document.querySelector("#kc-root h1").textContent`))
}
