package consent

import (
	"slices"
	"strings"

	"github.com/kaiconn/consent/cjk"
	"github.com/kaiconn/consent/errs"
)

// PurposeID names a purpose within its audience, e.g. "location".
type PurposeID string

// Surface is where a decision is made.
type Surface string

const (
	SurfaceFirstLaunch Surface = "first-launch" // the app's first-launch dialog
	SurfaceWebBanner   Surface = "web-banner"   // the website's cookie banner
	SurfaceSettings    Surface = "settings"     // the app's privacy settings
)

// Surfaces lists every surface, for validation and forms.
var Surfaces = []Surface{SurfaceFirstLaunch, SurfaceWebBanner, SurfaceSettings}

// Validate fails with errs.Invalid when s is not a known surface.
func (s Surface) Validate() error {
	if !slices.Contains(Surfaces, s) {
		return errs.New(errs.Invalid, "surface: unknown surface %q", string(s))
	}
	return nil
}

// Audience is the set of purposes a surface shows: the app's purposes on
// the first-launch and settings surfaces, the website's cookie categories
// on the banner. The policy uses the word "analytics" for both an app SDK
// and a cookie category, so ids are only unique within an audience, and a
// decision replaces only the previous one of its audience. This is the one
// place a surface is mapped to its audience: the notices, the receipts'
// chain rules, the console's counts and the stores' SQL all ask it.
func (s Surface) Audience() string {
	if s == SurfaceWebBanner {
		return AudienceWeb
	}
	return AudienceApp
}

// Audiences, as a catalogue's purposes name them (Purpose.Audience).
const (
	AudienceApp = "app"
	AudienceWeb = "web"
)

// ConsentType is the kind of consent PIPL requires for a purpose.
type ConsentType string

const (
	// Consent is ordinary consent (PIPL art. 14).
	Consent ConsentType = "consent"
	// SeparateConsent is 单独同意 (PIPL arts. 23, 29): required to provide
	// personal information to another handler, such as an SDK provider, and
	// to process sensitive personal information such as location. It must
	// be asked purpose by purpose, never bundled with other consent.
	SeparateConsent ConsentType = "separate-consent"
)

// Kind is the kind of decision.
type Kind string

const (
	KindAgreed    Kind = "agreed"    // the person accepted, with the purposes they ticked
	KindDeclined  Kind = "declined"  // the person refused every optional purpose
	KindUpdated   Kind = "updated"   // the person changed choices in settings
	KindWithdrawn Kind = "withdrawn" // the person withdrew one or more purposes
)

// Kinds lists every decision kind.
var Kinds = []Kind{KindAgreed, KindDeclined, KindUpdated, KindWithdrawn}

// Languages a decision can be shown in; every text in the catalogue exists
// in each of them.
const (
	LangZhHans = "zh-Hans"
	LangEn     = "en"
)

// Languages lists the languages of the catalogue, the governing one first.
var Languages = []string{LangZhHans, LangEn}

func validateLang(lang string) error {
	if !slices.Contains(Languages, lang) {
		return errs.New(errs.Invalid, "lang: unsupported language %q", lang)
	}
	return nil
}

// Text is one text in every language of the catalogue, keyed by language.
type Text map[string]string

// In returns the text in lang, falling back to the governing Chinese text
// for a language the catalogue does not have.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok {
		return s
	}
	return t[LangZhHans]
}

// Show returns the text in lang as a page shows it: Chinese with its
// punctuation in full width (package cjk). In is the text as published,
// which notices hash and checks compare.
func (t Text) Show(lang string) string {
	s := t.In(lang)
	if _, ok := t[lang]; !ok || strings.HasPrefix(lang, "zh") {
		return cjk.Punctuate(s)
	}
	return s
}
