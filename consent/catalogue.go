package consent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

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

	// Policy locates the purpose's facts in the policy by the policy's
	// stable ids, and Functions are the business functions it serves, each
	// with the policy's own list of the data it collects. CheckPolicy holds
	// the catalogue and the policy in agreement through them. They locate
	// what is asked; they are not part of it, so they stay out of Hash.
	Policy    PolicyRefs         `toml:"policy" json:"policy,omitzero"`
	Functions []BusinessFunction `toml:"business_function" json:"business_functions,omitempty"`

	// Flags mark the data items of Collects that the policy calls
	// sensitive personal information, and those that locate the person,
	// so that a screen can say so beside each SDK; an item without a flag
	// is neither. Necessity is the policy's own words on why the sensitive
	// items are needed (PIPL art. 30), for a purpose whose use (an SDK's
	// row of the policy's table) does not already say it. CheckPolicy holds
	// both to the policy. They describe what is asked without changing it,
	// so they stay out of Hash: adding them re-asks nobody.
	Flags     []ItemFlag `toml:"flag" json:"flags,omitempty"`
	Necessity *Quote     `toml:"necessity" json:"necessity,omitempty"`

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

// PolicyRefs are the clauses of the policy (by id, such as "s1-3-p1" or
// "s3-1-1") that state who receives a purpose's data, within which scope,
// on which legal basis and for how long. An SDK purpose's recipient and
// scope are its row of the SDK table, named by its function.
type PolicyRefs struct {
	Recipients []string `toml:"recipients" json:"recipients,omitempty"`
	Scope      []string `toml:"scope" json:"scope,omitempty"`
	Basis      []string `toml:"basis" json:"basis,omitempty"`
	Retention  []string `toml:"retention" json:"retention,omitempty"`
}

// All returns every clause id of r, for the check that each exists.
func (r PolicyRefs) All() map[string][]string {
	return map[string][]string{"recipients": r.Recipients, "scope": r.Scope, "basis": r.Basis, "retention": r.Retention}
}

// BusinessFunction is one business function (业务功能) of an app purpose, such as
// registration or push notifications: one entry of the list of personal
// information collected. Its data are the policy's own words: the
// "collected" field of its row of the SDK table when a third-party SDK
// collects them, else the enumerations it quotes from the policy's clauses.
type BusinessFunction struct {
	ID string `toml:"id" json:"id"`
	// Title names the function; an SDK function without one takes the
	// "function" field of its row of the SDK table.
	Title Text `toml:"title" json:"title,omitempty"`
	// Use is what the function uses the data for, in the policy's words;
	// an SDK function without one takes the "purpose" field of its row.
	Use Text `toml:"use" json:"use,omitempty"`
	// SDK is the id of the function's row of the policy's SDK table
	// (s2-3-sdks), e.g. "getui"; empty for the app's own processing.
	SDK  string  `toml:"sdk" json:"sdk,omitempty"`
	Data []Quote `toml:"data" json:"data,omitempty"`
	// Optional marks data the person may choose to give or not, as the
	// policy says of the avatar (1.(四)2(2)): the function serves the
	// purpose, but its items are not what the purpose requires, so they
	// are not in its "collects" text and the lists mark them optional.
	Optional bool `toml:"optional" json:"optional,omitempty"`
}

// Quote is one enumeration of data in a clause of the policy, quoted
// verbatim in every language. CheckPolicy finds each quote in its clause
// and makes sure it is the whole enumeration, not a part of it.
type Quote struct {
	Clause string `toml:"clause" json:"clause"`
	Quote  Text   `toml:"quote" json:"quote"`
}

// ItemFlag marks one data item of a purpose's "collects" text, named in
// every language as that text splits it (SplitItems).
//
// Sensitive items are those the policy marks as sensitive personal
// information: it prints them in bold (clause 1.1.3 promises so). Term is
// the bold words in the governing Chinese text that the item contains;
// Clause is where the policy prints them in bold, empty when that is the
// purpose's own clause or SDK table row. Location items are those that
// tell where the person is; the policy names each with 位置.
type ItemFlag struct {
	Item      Text   `toml:"item" json:"item"`
	Sensitive bool   `toml:"sensitive" json:"sensitive,omitempty"`
	Term      string `toml:"term" json:"term,omitempty"`
	Clause    string `toml:"clause" json:"clause,omitempty"`
	Location  bool   `toml:"location" json:"location,omitempty"`
}

// FlaggedItems returns, in lang, the purpose's items that are sensitive
// personal information and those that tell where the person is, in the
// order of the catalogue.
func (p Purpose) FlaggedItems(lang string) (sensitive, location []string) {
	for _, f := range p.Flags {
		if f.Sensitive {
			sensitive = append(sensitive, f.Item.Show(lang))
		}
		if f.Location {
			location = append(location, f.Item.Show(lang))
		}
	}
	return sensitive, location
}

// HasSensitive reports whether the purpose collects sensitive personal
// information.
func (p Purpose) HasSensitive() bool {
	return slices.ContainsFunc(p.Flags, func(f ItemFlag) bool { return f.Sensitive })
}

// Permission maps one device permission of the policy's list (s2-3-perms)
// to the business function that needs it, and says in the reader's words
// what it is for and what happens without it. The purpose, and whether it
// is optional, follow from the function.
type Permission struct {
	ID       string `toml:"id" json:"id"` // the policy's id, e.g. "s2-3-perms-17"
	Function string `toml:"business_function" json:"business_function"`
	Use      Text   `toml:"use" json:"use"`
	Without  Text   `toml:"without" json:"without"`
	// DataItem marks an entry of the policy's permission list that is a
	// data item, not a permission the system asks for (IMSI, IMEI, MAC):
	// the lists show it among the data, and its page says what it is.
	DataItem bool `toml:"data_item" json:"data_item,omitempty"`
	// Optional marks a permission the function works without (reading
	// the text message code: the person can type it), though the function
	// itself is required.
	Optional bool `toml:"optional" json:"optional,omitempty"`
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

// Catalogue is the validated list of purposes of one policy version, with
// its device permissions, rights centre, facts and minors rule.
type Catalogue struct {
	version     string
	purposes    []Purpose    // in file order, which is display order
	permissions []Permission // in file order
	rights      []rightEntry // in file order, which is display order
	facts       []factEntry
	minors      *minorsEntry
	sensitive   []sensitiveEntry // the terms the lists mark as sensitive
	recipients  []recipientEntry // who else section 三、(一) shares with
	// impact is the policy's own words on what sensitive personal
	// information is: information whose leak or misuse may harm the
	// person, which is the impact PIPL art. 30 asks to be told.
	impact *Quote
}

// SensitiveImpact returns the policy's statement of what processing
// sensitive personal information may do to the person (PIPL art. 30),
// quoted verbatim with its clause; false when the catalogue has none
// (CheckPolicy requires one when a purpose flags a sensitive item).
func (c *Catalogue) SensitiveImpact() (Quote, bool) {
	if c.impact == nil {
		return Quote{}, false
	}
	return *c.impact, true
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
		if p.Audience == surface.Audience() {
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
	audience := surface.Audience()
	for i := range c.purposes {
		if p := &c.purposes[i]; p.ID == id && p.Audience == audience {
			return *p, true
		}
	}
	return Purpose{}, false
}

// Permission returns the permission with the policy's id, the business
// function that needs it and that function's app purpose.
func (c *Catalogue) Permission(id string) (Permission, BusinessFunction, Purpose, bool) {
	for _, perm := range c.permissions {
		if perm.ID == id {
			f, p, ok := c.BusinessFunction(perm.Function)
			return perm, f, p, ok
		}
	}
	return Permission{}, BusinessFunction{}, Purpose{}, false
}

// BusinessFunction returns the business function with id and its app
// purpose.
func (c *Catalogue) BusinessFunction(id string) (BusinessFunction, Purpose, bool) {
	for _, p := range c.purposes {
		for _, f := range p.Functions {
			if f.ID == id && p.Audience == AudienceApp {
				return f, p, true
			}
		}
	}
	return BusinessFunction{}, Purpose{}, false
}

// FunctionPermissions returns the permissions that a business function
// needs, in the policy's order.
func (c *Catalogue) FunctionPermissions(function string) []Permission {
	var out []Permission
	for _, perm := range c.permissions {
		if perm.Function == function {
			out = append(out, perm)
		}
	}
	return out
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

var (
	versionRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	idRE      = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	sectionRE = regexp.MustCompile(`^s\d+(-\d+)*$`)
	// clauseRE is any id of the policy's Markdown dialect: "s1-3-p1",
	// "pre-p1", "s2-3-perms-17", "s10-contact".
	clauseRE = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
)

func (c *Catalogue) validate() error {
	fail := func(id PurposeID, format string, args ...any) error {
		return errs.New(errs.Invalid, "catalogue %s: purpose %q: %s", c.version, string(id), fmt.Sprintf(format, args...))
	}
	if len(c.purposes) == 0 {
		return errs.New(errs.Invalid, "catalogue %s: purpose: none listed", c.version)
	}
	seen := map[string]bool{}
	required := map[string]int{}
	functions := map[string]bool{}
	for _, p := range c.purposes {
		if !idRE.MatchString(string(p.ID)) {
			return fail(p.ID, "id: must be lower-case letters, digits and hyphens")
		}
		if p.Audience != AudienceApp && p.Audience != AudienceWeb {
			return fail(p.ID, "audience: %q is neither %q nor %q", p.Audience, AudienceApp, AudienceWeb)
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
			{"collects", p.Collects, p.Audience == AudienceApp},
			{"use", p.Use, p.Audience == AudienceApp},
			{"recipient", p.Recipient, true},
		}
		for _, t := range texts {
			if err := checkText(t.text, t.mandatory); err != "" {
				return fail(p.ID, "%s: %s", t.field, err)
			}
		}
		if err := validateFunctions(p, functions, fail); err != nil {
			return err
		}
		if err := validateFlags(p, fail); err != nil {
			return err
		}
		for field, ids := range p.Policy.All() {
			for _, id := range ids {
				if !clauseRE.MatchString(id) {
					return fail(p.ID, "policy.%s: %q is not an id of the policy", field, id)
				}
			}
		}
		if p.Audience == AudienceApp && !p.Required && len(p.SDK) == 0 {
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
		if p.Audience == AudienceApp && (len(p.Cookies) > 0 || len(p.ConsentMode) > 0) {
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
		// A required category is set without a choice, so the person
		// can only judge it by its text: that text must name each cookie
		// it sets, in every language, rather than describe cookies in
		// general (the policy's words on the app's cookies are not what
		// the website's necessary cookies do).
		if p.Required && p.Audience == AudienceWeb {
			for _, l := range Languages {
				for _, name := range p.Cookies {
					if !strings.Contains(p.Description.In(l), name) {
						return fail(p.ID, "description.%s: a required category must name each cookie it sets; %q is not named", l, name)
					}
				}
			}
		}
	}
	if required[AudienceApp] != 1 {
		return errs.New(errs.Invalid, "catalogue %s: required: want exactly one required app purpose, have %d", c.version, required[AudienceApp])
	}
	if seen := slices.ContainsFunc(c.purposes, func(p Purpose) bool { return p.Audience == AudienceWeb }); seen && required[AudienceWeb] != 1 {
		return errs.New(errs.Invalid, "catalogue %s: required: want exactly one required web category, have %d", c.version, required[AudienceWeb])
	}
	if err := c.validatePermissions(functions); err != nil {
		return err
	}
	if c.impact != nil {
		if !clauseRE.MatchString(c.impact.Clause) {
			return errs.New(errs.Invalid, "catalogue %s: sensitive_impact.clause: %q is not an id of the policy", c.version, c.impact.Clause)
		}
		if err := checkText(c.impact.Quote, true); err != "" {
			return errs.New(errs.Invalid, "catalogue %s: sensitive_impact.quote: %s", c.version, err)
		}
	}
	if err := c.validateSensitive(); err != nil {
		return err
	}
	if err := c.validateRecipients(); err != nil {
		return err
	}
	return c.validateRights()
}

// validateFunctions checks the form of a purpose's business functions; what
// they say is CheckPolicy's to compare with the policy. seen collects the
// function ids, which are unique in the catalogue because a permission
// names its function by id alone.
func validateFunctions(p Purpose, seen map[string]bool, fail func(PurposeID, string, ...any) error) error {
	if len(p.Functions) > 0 && p.Audience != AudienceApp {
		return fail(p.ID, "business_function: only app purposes have business functions")
	}
	for _, f := range p.Functions {
		if !idRE.MatchString(f.ID) {
			return fail(p.ID, "business_function %q: id: must be lower-case letters, digits and hyphens", f.ID)
		}
		if seen[f.ID] {
			return fail(p.ID, "business_function %q: id: duplicate in the catalogue", f.ID)
		}
		seen[f.ID] = true
		if (f.SDK == "") == (len(f.Data) == 0) {
			return fail(p.ID, "business_function %q: give either sdk (a row of the SDK table) or data (quotes of the policy), not both or neither", f.ID)
		}
		if f.SDK != "" && !idRE.MatchString(f.SDK) {
			return fail(p.ID, "business_function %q: sdk: %q is not a row id of the SDK table", f.ID, f.SDK)
		}
		if f.SDK == "" && len(f.Title) == 0 {
			return fail(p.ID, "business_function %q: title: missing; only an SDK function takes its title from the policy", f.ID)
		}
		if f.SDK == "" && len(f.Use) == 0 {
			return fail(p.ID, "business_function %q: use: missing; only an SDK function takes its use from the policy", f.ID)
		}
		for field, t := range map[string]Text{"title": f.Title, "use": f.Use} {
			if err := checkText(t, false); err != "" {
				return fail(p.ID, "business_function %q: %s: %s", f.ID, field, err)
			}
		}
		for i, q := range f.Data {
			if !clauseRE.MatchString(q.Clause) {
				return fail(p.ID, "business_function %q: data[%d].clause: %q is not an id of the policy", f.ID, i, q.Clause)
			}
			if err := checkText(q.Quote, true); err != "" {
				return fail(p.ID, "business_function %q: data[%d].quote: %s", f.ID, i, err)
			}
		}
	}
	return nil
}

// validateFlags checks the form of a purpose's item flags and necessity
// quote; that they say what the policy says is CheckPolicy's to check.
func validateFlags(p Purpose, fail func(PurposeID, string, ...any) error) error {
	if len(p.Flags) > 0 && p.Audience != AudienceApp {
		return fail(p.ID, "flag: only app purposes flag their data items")
	}
	seen := map[string]bool{}
	for i, f := range p.Flags {
		if err := checkText(f.Item, true); err != "" {
			return fail(p.ID, "flag[%d].item: %s", i, err)
		}
		if seen[f.Item[LangZhHans]] {
			return fail(p.ID, "flag[%d].item: %q is flagged twice", i, f.Item[LangZhHans])
		}
		seen[f.Item[LangZhHans]] = true
		switch {
		case !f.Sensitive && !f.Location:
			return fail(p.ID, "flag[%d]: flags nothing; say sensitive = true, location = true or both", i)
		case f.Sensitive && f.Term == "":
			return fail(p.ID, "flag[%d].term: a sensitive item names the words the policy prints in bold", i)
		case !f.Sensitive && (f.Term != "" || f.Clause != ""):
			return fail(p.ID, "flag[%d]: term and clause belong to a sensitive item", i)
		case f.Clause != "" && !clauseRE.MatchString(f.Clause):
			return fail(p.ID, "flag[%d].clause: %q is not an id of the policy", i, f.Clause)
		}
	}
	if p.Necessity != nil {
		if !clauseRE.MatchString(p.Necessity.Clause) {
			return fail(p.ID, "necessity.clause: %q is not an id of the policy", p.Necessity.Clause)
		}
		if err := checkText(p.Necessity.Quote, true); err != "" {
			return fail(p.ID, "necessity.quote: %s", err)
		}
	}
	return nil
}

// validatePermissions checks that every permission names a known business
// function and says, in every language, what it is for and what happens
// without it.
func (c *Catalogue) validatePermissions(functions map[string]bool) error {
	seen := map[string]bool{}
	for _, perm := range c.permissions {
		fail := func(format string, args ...any) error {
			return errs.New(errs.Invalid, "catalogue %s: permission %q: %s", c.version, perm.ID, fmt.Sprintf(format, args...))
		}
		if !clauseRE.MatchString(perm.ID) {
			return fail("id: not an id of the policy's permission list, like \"s2-3-perms-17\"")
		}
		if seen[perm.ID] {
			return fail("id: duplicate")
		}
		seen[perm.ID] = true
		if !functions[perm.Function] {
			return fail("business_function: %q is no business function of an app purpose", perm.Function)
		}
		for field, t := range map[string]Text{"use": perm.Use, "without": perm.Without} {
			if err := checkText(t, true); err != "" {
				return fail("%s: %s", field, err)
			}
		}
	}
	return nil
}

// checkText returns what is wrong with a text of the catalogue, "" when
// nothing is: every language present and not blank, no other language.
func checkText(t Text, mandatory bool) string {
	if len(t) == 0 && !mandatory {
		return ""
	}
	for _, lang := range Languages {
		if strings.TrimSpace(t[lang]) == "" {
			return "missing " + lang + " text"
		}
	}
	for lang := range t {
		if !slices.Contains(Languages, lang) {
			return fmt.Sprintf("unsupported language %q", lang)
		}
	}
	return ""
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
