package consent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/kaiconn/consent/errs"
)

// Purpose is one thing a person is asked about: an app purpose, usually the
// SDK of a third party, or a web cookie category.
type Purpose struct {
	ID          PurposeID   `toml:"id" json:"id"`
	Audience    string      `toml:"audience" json:"audience"` // "app" or "web"
	Required    bool        `toml:"required" json:"required"` // shown but not switchable
	ConsentType ConsentType `toml:"consent_type" json:"consent_type"`

	// Sections are the anchors of the policy sections that describe the
	// purpose ("s2-3" is 二(三) / 2.3); Clause is the clause as numbered in
	// the English policy, for display.
	Sections []string `toml:"sections" json:"sections"`
	Clause   string   `toml:"clause" json:"clause"`

	Title       Text   `toml:"title" json:"title"`
	Description Text   `toml:"description" json:"description,omitempty"`
	SDK         Text   `toml:"sdk" json:"sdk,omitempty"`           // SDK name; empty for our own processing
	Function    Text   `toml:"function" json:"function,omitempty"` // 功能, as the policy table names it
	Collects    Text   `toml:"collects" json:"collects,omitempty"` // the personal information collected
	Use         Text   `toml:"use" json:"use,omitempty"`           // 使用目的, the purpose of use
	Recipient   Text   `toml:"recipient" json:"recipient"`
	PrivacyURL  string `toml:"privacy_url" json:"privacy_url,omitempty"`

	// Native tells the app developer which SDK call the purpose unlocks.
	Native Native `toml:"native" json:"native,omitzero"`

	// Cookies are the cookie names, or path.Match patterns such as "_ga_*",
	// that a web category sets and that are deleted when it is refused.
	Cookies []string `toml:"cookies" json:"cookies,omitempty"`
	// ConsentMode are the Google Consent Mode v2 signals granted with the
	// category; any signal no granted category names stays denied.
	ConsentMode []string `toml:"consent_mode" json:"consent_mode,omitempty"`

	// Hash is the hex SHA-256 of the purpose's texts and data, computed by
	// the loader, so that a new policy version can tell what changed.
	Hash string `toml:"-" json:"hash"`
}

// Native is the hint for the app developer of how the SDK is held back
// until the person grants the purpose.
type Native struct {
	BeforeConsent string `toml:"before_consent" json:"before_consent,omitempty"` // may run before consent; collects nothing
	OnGrant       string `toml:"on_grant" json:"on_grant,omitempty"`             // may run only once the purpose is granted
}

// MatchesCookie reports whether a cookie name belongs to the category.
func (p Purpose) MatchesCookie(name string) bool {
	for _, pattern := range p.Cookies {
		if ok, _ := path.Match(pattern, name); ok {
			return true
		}
	}
	return false
}

// Consent Mode v2 signals, the keys of ConsentModeSignals.
const (
	SignalAdStorage         = "ad_storage"
	SignalAnalyticsStorage  = "analytics_storage"
	SignalAdUserData        = "ad_user_data"
	SignalAdPersonalization = "ad_personalization"
)

// Signals lists the Consent Mode v2 signals.
var Signals = []string{SignalAdStorage, SignalAnalyticsStorage, SignalAdUserData, SignalAdPersonalization}

// Catalogue is the validated list of purposes of one policy version.
type Catalogue struct {
	version  string
	purposes []Purpose // in file order, which is display order
}

// Version is the policy version, "YYYY-MM".
func (c *Catalogue) Version() string { return c.version }

// Purposes returns the purposes shown on a surface, in display order; nil
// for an unknown surface. The slice is the caller's; the texts in it are
// shared with the catalogue and must not be modified.
func (c *Catalogue) Purposes(surface Surface) []Purpose {
	if surface.Validate() != nil {
		return nil
	}
	var ps []Purpose
	for _, p := range c.purposes {
		if p.Audience == surface.audience() {
			ps = append(ps, p)
		}
	}
	return ps
}

// Purpose returns the purpose id shown on a surface. It looks in place:
// the server asks it for every purpose of every receipt it checks.
func (c *Catalogue) Purpose(surface Surface, id PurposeID) (Purpose, bool) {
	if surface.Validate() != nil {
		return Purpose{}, false
	}
	audience := surface.audience()
	for i := range c.purposes {
		if p := &c.purposes[i]; p.ID == id && p.Audience == audience {
			return *p, true
		}
	}
	return Purpose{}, false
}

// Required returns the one required purpose of a surface: basic for the
// app, necessary for the website.
func (c *Catalogue) Required(surface Surface) (Purpose, bool) {
	for _, p := range c.Purposes(surface) {
		if p.Required {
			return p, true
		}
	}
	return Purpose{}, false
}

type catalogueFile struct {
	Version string    `toml:"version"`
	Purpose []Purpose `toml:"purpose"`
}

var (
	versionRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	idRE      = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	sectionRE = regexp.MustCompile(`^s\d+(-\d+)*$`)
)

// LoadCatalogue reads and validates <version>.toml from fsys. Every failure
// is an errs.Invalid naming the version, the purpose id and the field,
// because a catalogue is reviewed by people who do not read Go.
func LoadCatalogue(fsys fs.FS, version string) (*Catalogue, error) {
	if !versionRE.MatchString(version) {
		return nil, errs.New(errs.Invalid, "version: %q is not a policy version (YYYY-MM)", version)
	}
	b, err := fs.ReadFile(fsys, version+".toml")
	if err != nil {
		return nil, errs.New(errs.NotFound, "catalogue %s: no catalogue for this policy version", version)
	}
	var f catalogueFile
	md, err := toml.Decode(string(b), &f)
	if err != nil {
		return nil, errs.New(errs.Invalid, "catalogue %s: %v", version, err)
	}
	// An unknown key is most often a misspelt field whose text would
	// silently be missing from the dialog.
	if un := md.Undecoded(); len(un) > 0 {
		return nil, errs.New(errs.Invalid, "catalogue %s: unknown key %q", version, un[0].String())
	}
	if f.Version != version {
		return nil, errs.New(errs.Invalid, "catalogue %s: version: file says %q", version, f.Version)
	}
	c := &Catalogue{version: version, purposes: f.Purpose}
	if err := c.validate(); err != nil {
		return nil, err
	}
	for i := range c.purposes {
		c.purposes[i].Hash = contentHash(c.purposes[i])
	}
	return c, nil
}

func (c *Catalogue) validate() error {
	fail := func(id PurposeID, format string, args ...any) error {
		return errs.New(errs.Invalid, "catalogue %s: purpose %q: %s", c.version, string(id), fmt.Sprintf(format, args...))
	}
	if len(c.purposes) == 0 {
		return errs.New(errs.Invalid, "catalogue %s: purpose: none listed", c.version)
	}
	seen := map[string]bool{}
	required := map[string]int{}
	for _, p := range c.purposes {
		if !idRE.MatchString(string(p.ID)) {
			return fail(p.ID, "id: must be lower-case letters, digits and hyphens")
		}
		if p.Audience != audienceApp && p.Audience != audienceWeb {
			return fail(p.ID, "audience: %q is neither %q nor %q", p.Audience, audienceApp, audienceWeb)
		}
		key := p.Audience + "/" + string(p.ID)
		if seen[key] {
			return fail(p.ID, "id: duplicate in audience %q", p.Audience)
		}
		seen[key] = true
		switch p.ConsentType {
		case Consent:
		case SeparateConsent:
			// Separate consent may never be bundled or forced, so
			// it cannot be the consent type of required processing.
			if p.Required {
				return fail(p.ID, "consent_type: required processing cannot need separate consent")
			}
		default:
			return fail(p.ID, "consent_type: unknown consent type %q", string(p.ConsentType))
		}
		if p.Required {
			required[p.Audience]++
		}
		if len(p.Sections) == 0 {
			return fail(p.ID, "sections: none listed")
		}
		for _, s := range p.Sections {
			if !sectionRE.MatchString(s) {
				return fail(p.ID, "sections: %q is not a section anchor like \"s2-3\"", s)
			}
		}
		texts := []struct {
			field     string
			text      Text
			mandatory bool
		}{
			{"title", p.Title, true},
			{"description", p.Description, false},
			{"sdk", p.SDK, false},
			{"function", p.Function, false},
			{"collects", p.Collects, p.Audience == audienceApp},
			{"use", p.Use, p.Audience == audienceApp},
			{"recipient", p.Recipient, true},
		}
		for _, t := range texts {
			if len(t.text) == 0 && !t.mandatory {
				continue
			}
			for _, lang := range Languages {
				if strings.TrimSpace(t.text[lang]) == "" {
					return fail(p.ID, "%s: missing %s text", t.field, lang)
				}
			}
			for lang := range t.text {
				if !slices.Contains(Languages, lang) {
					return fail(p.ID, "%s: unsupported language %q", t.field, lang)
				}
			}
		}
		if p.Audience == audienceApp && !p.Required && len(p.SDK) == 0 {
			// The policy names an SDK for every optional app purpose;
			// one without is a purpose the policy does not describe.
			return fail(p.ID, "sdk: an optional app purpose must name its SDK")
		}
		if len(p.SDK) > 0 && p.Native.OnGrant == "" {
			return fail(p.ID, "native.on_grant: an SDK purpose must say which call it unlocks")
		}
		if p.PrivacyURL != "" && !strings.HasPrefix(p.PrivacyURL, "https://") {
			return fail(p.ID, "privacy_url: must be an https URL")
		}
		if p.Audience == audienceApp && (len(p.Cookies) > 0 || len(p.ConsentMode) > 0) {
			return fail(p.ID, "cookies, consent_mode: only web categories set cookies")
		}
		for _, pattern := range p.Cookies {
			if _, err := path.Match(pattern, ""); err != nil || pattern == "" {
				return fail(p.ID, "cookies: bad cookie pattern %q", pattern)
			}
		}
		for _, s := range p.ConsentMode {
			if !slices.Contains(Signals, s) {
				return fail(p.ID, "consent_mode: unknown signal %q", s)
			}
		}
		// A required category is on without asking, so it must not
		// switch on any tracking signal.
		if p.Required && len(p.ConsentMode) > 0 {
			return fail(p.ID, "consent_mode: a required category cannot grant signals")
		}
	}
	if required[audienceApp] != 1 {
		return errs.New(errs.Invalid, "catalogue %s: required: want exactly one required app purpose, have %d", c.version, required[audienceApp])
	}
	if seen := slices.ContainsFunc(c.purposes, func(p Purpose) bool { return p.Audience == audienceWeb }); seen && required[audienceWeb] != 1 {
		return errs.New(errs.Invalid, "catalogue %s: required: want exactly one required web category, have %d", c.version, required[audienceWeb])
	}
	return nil
}

// contentHash covers everything a person is told or agrees to. Sections,
// clause and native hints are left out: renumbering the policy or changing
// how the app calls an SDK does not change what is asked, and must not
// re-ask anybody.
func contentHash(p Purpose) string {
	b, err := json.Marshal(struct {
		Audience    string
		ID          PurposeID
		Required    bool
		ConsentType ConsentType
		Title       Text
		Description Text
		SDK         Text
		Function    Text
		Collects    Text
		Use         Text
		Recipient   Text
		PrivacyURL  string
		Cookies     []string
		ConsentMode []string
	}{p.Audience, p.ID, p.Required, p.ConsentType, p.Title, p.Description, p.SDK, p.Function,
		p.Collects, p.Use, p.Recipient, p.PrivacyURL, p.Cookies, p.ConsentMode})
	if err != nil {
		// Strings, bools and maps of strings always marshal.
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
