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
}
