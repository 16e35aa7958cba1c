package mark

import (
	"html"

	"github.com/kaiconn/consent/lang/texts"
)

// WordmarkHTML is Kaiconn's identity, written once for every surface: the
// mark (the shape of web/static/icon.svg, coloured by app.css) and 每开
// Kaiconn, each name in its own language so that a screen reader reads both
// right on a page of either. The server's pages and the wasm write this
// string, so the gate, the settings, the permission pages and the console
// show the same mark.
const WordmarkHTML = `<span class="kc-wordmark"><svg viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect class="kc-mark-bg" width="32" height="32" rx="8"></rect><path class="kc-mark-k" d="M10 8v16M10 16.5 19.5 8M13.5 14.5 21.5 24" fill="none" stroke-width="3.4" stroke-linecap="round" stroke-linejoin="round"></path><circle class="kc-mark-dot" cx="23.5" cy="9.5" r="2.2"></circle></svg><span lang="zh-Hans">每开</span> <span class="kc-wordmark__latin" lang="en">Kaiconn</span></span>`

// SeparateBadgeHTML is the badge of a purpose that needs separate consent
// (单独同意, PIPL art. 23 and 29), written once for the gate and the
// settings: the message badge_separate, and on a page that is not Chinese
// the governing Chinese term after it, marked as Chinese.
func SeparateBadgeHTML(l *texts.Localizer) string {
	out := `<span class="kc-badge kc-badge--separate">` + html.EscapeString(l.T("badge_separate"))
	if l.Lang != texts.ZhHans {
		out += ` (<span lang="zh-Hans">单独同意</span>)`
	}
	return out + `</span>`
}
