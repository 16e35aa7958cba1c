package components

import (
	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/views/mark"
	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// WordmarkHTML is Kaiconn's identity on every surface (mark.WordmarkHTML,
// its one definition), under the name the views have always used.
const WordmarkHTML = mark.WordmarkHTML

// Wordmark is WordmarkHTML for a component.
func Wordmark() app.UI { return app.Raw(WordmarkHTML) }

// SeparateBadgeHTML is the separate-consent badge (mark.SeparateBadgeHTML,
// its one definition).
func SeparateBadgeHTML(l *texts.Localizer) string { return mark.SeparateBadgeHTML(l) }

// SeparateBadge is SeparateBadgeHTML for a component.
func SeparateBadge(l *texts.Localizer) app.UI { return app.Raw(SeparateBadgeHTML(l)) }
