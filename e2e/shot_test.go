package e2e

import (
	"os"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

func TestShot(t *testing.T) {
	srv := startServer(t)
	ctx := newTab(t)
	_, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 360, Height: 740, DeviceScaleFactor: 1, Mobile: true})
	require.NoError(t, err)
	do(t, ctx, chromedp.Navigate(srv.URL()+os.Getenv("SHOT_PATH")), waitWasm())
	if js := os.Getenv("SHOT_JS"); js != "" {
		do(t, ctx, chromedp.Evaluate[chromedp.Void](js))
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	os.WriteFile("/tmp/shot.png", buf, 0o644)
}
