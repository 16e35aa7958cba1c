package components

import (
	"github.com/kaiconn/consent/lang/texts"
	"github.com/kaiconn/consent/views/mark"
)

// WordmarkHTML is Kaiconn's identity on every surface (mark.WordmarkHTML,
// its one definition), under the name the views have always used.
const WordmarkHTML = mark.WordmarkHTML

// SeparateBadgeHTML is the separate-consent badge (mark.SeparateBadgeHTML,
// its one definition).
func SeparateBadgeHTML(l *texts.Localizer) string { return mark.SeparateBadgeHTML(l) }
