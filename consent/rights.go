package consent

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kaiconn/consent/errs"
)

// Targets of the navigate message: the screens of the host app that a
// rights entry asks it to open. They are a contract with the app, which must
// open each, so a catalogue may name no other; a new screen is a new
// target here and in docs/privacy-centre.md.
const (
	// TargetProfile is 「我的」, then 「头像、个人资料、昵称」 (policy 5.1, 5.2):
	// where the person views and edits their account information.
	TargetProfile = "profile"
	// TargetAccountDeletion is 【我的】-【设置管理】-【个人资料】-【注销账户】
	// (policy 5.9): where the person applies to cancel the account.
	TargetAccountDeletion = "account-deletion"
	// TargetFeedback is 【我要反馈】 (policy 5.10): the app's own complaint
	// and report form.
	TargetFeedback = "feedback"
)

// Targets lists every navigate target.
var Targets = []string{TargetProfile, TargetAccountDeletion, TargetFeedback}

// NavigateType is the type of the bridge message that asks the host app to
// open one of its own screens.
const NavigateType = "navigate"

// NavigateMessage is the bridge message a rights entry sends: open screen
// Target. At is when the person pressed, as the permission message has it,
// so that a host which gets a message late (a webview restored from the
// background) can tell a stale press from a fresh one.
type NavigateMessage struct {
	Type   string `json:"type"`   // NavigateType
	Target string `json:"target"` // one of Targets
	At     string `json:"at"`     // RFC 3339 in UTC, milliseconds
}

// RequiredRights are the rights of policy section 5 every catalogue held to
// a policy offers an entry for: access and copy, correction, deletion,
// account deletion (注销), withdrawing all optional consent, the rights of
// a deceased person's close relatives (5.5), an explanation of automated
// decisions (5.7), and complaints.
var RequiredRights = []string{"access", "correction", "deletion", "account-deletion", "withdraw-consent", "deceased-relatives", "automated-decisions", "complaint"}

// FactAge18 is the fact the first-launch gate's 18+ box (the form field
// adult) confirms: that the person is 18 or older, as policy section 6
// requires. The gate records it with every agreement; the [minors] table of
// a catalogue held to a policy names it (CheckPolicy), so that a policy
// with another age rule cannot ship with a gate that asks this one.
const FactAge18 = "age-18"

// rightEntry is one [[right]] of the catalogue: a right of the policy's
// section 5 and how the person exercises it from the app's privacy
// settings.
type rightEntry struct {
	ID          string   `toml:"id"`
	Sections    []string `toml:"sections"` // the policy's sections on the right, e.g. "s5-9"
	Title       Text     `toml:"title"`
	Description Text     `toml:"description"`

	// How the right is exercised: Target names the app's own screen, which
	// the navigate message opens; Contact offers the contact route (the
	// policy's contact block) with Deadline; Withdraw is the settings
	// page's own withdrawal of every optional purpose.
	Target   string    `toml:"target"`
	Contact  bool      `toml:"contact"`
	Withdraw bool      `toml:"withdraw"`
	Deadline *deadline `toml:"deadline"`

	// Path is the way through the app as the policy words it, and Effect
	// when the exercise takes effect, both quoted from the policy.
	Path   *Quote  `toml:"path"`
	Effect *effect `toml:"effect"`
}

// deadline is the response a request by the contact route is promised:
// Days, the shortest deadline the Clauses state (CheckPolicy).
type deadline struct {
	Days    int      `toml:"days"`
	Clauses []string `toml:"clauses"`
}

// effect is when exercising a right takes effect, in days, with the
// policy's sentence that says so.
type effect struct {
	Days   int    `toml:"days"`
	Clause string `toml:"clause"`
	Quote  Text   `toml:"quote"`
}

// factEntry is one [[fact]]: a statement a person confirms on a surface,
// such as being 18 or older, recorded in the receipt as a fact, never as a
// purpose (there is nothing to withdraw).
type factEntry struct {
	ID        string    `toml:"id"`
	Surfaces  []Surface `toml:"surfaces"`
	Clause    string    `toml:"clause"` // the policy's clause that asks for it
	Statement Text      `toml:"statement"`
}

// minorsEntry is the [minors] table: the sentences of policy section 6 the
// first-launch gate shows word for word, and the fact that confirms them.
type minorsEntry struct {
	Clause string `toml:"clause"`
	Text   Text   `toml:"text"`
	Fact   string `toml:"fact"`
}

// Right is one entry of the rights centre in one language.
type Right struct {
	ID          string
	Title       string
	Description string
	Sections    []string // the policy's sections on the right, for links to /privacy#<id>

	// Target is the app screen the entry opens with a navigate message;
	// "" when it opens none.
	Target string
	// Contact says the entry offers the contact route (policy.Version.
	// Contact) with the promised response deadline, DeadlineDays.
	Contact      bool
	DeadlineDays int
	// DeadlineClauses are the clauses whose deadlines the promise is the
	// shortest of.
	DeadlineClauses []string
	// Withdraw says the entry is the settings page's own withdrawal of
	// every optional purpose (consent.Withdraw), which takes effect at once.
	Withdraw bool

	// Path is the way through the app, quoted from PathClause; "" when the
	// policy states none.
	Path, PathClause string
	// Effect is the policy's sentence saying when the exercise takes
	// effect, EffectDays after it; "" and 0 when it states none.
	Effect, EffectClause string
	EffectDays           int
}

// Navigate returns the message that opens the entry's screen, pressed at
// at; false when the entry opens none.
func (r Right) Navigate(at time.Time) (NavigateMessage, bool) {
	if r.Target == "" {
		return NavigateMessage{}, false
	}
	return NavigateMessage{Type: NavigateType, Target: r.Target, At: at.UTC().Format("2006-01-02T15:04:05.000Z07:00")}, true
}

// Fact is a statement a person may confirm on a surface, in one language.
type Fact struct {
	ID        string
	Clause    string // the policy's clause that asks for it
	Statement string // what the person confirms, as the surface shows it
}

// Minors is what the first-launch gate shows about minors, in one
// language: the sentences of policy section 6, word for word, and the fact
// the person confirms.
type Minors struct {
	Clause string // e.g. "s6-p1"
	Text   string // whole sentences of the clause
	Fact   Fact
}

// Rights returns the entries of the rights centre in lang, in file order
// (display order). The entries are versioned with the catalogue: a later
// policy may change a deadline, a path or a target.
func (c *Catalogue) Rights(lang string) []Right {
	out := make([]Right, 0, len(c.rights))
	for _, e := range c.rights {
		r := Right{
			ID: e.ID, Title: e.Title.Show(lang), Description: e.Description.Show(lang), Sections: slices.Clone(e.Sections),
			Target: e.Target, Contact: e.Contact, Withdraw: e.Withdraw,
		}
		if e.Deadline != nil {
			r.DeadlineDays, r.DeadlineClauses = e.Deadline.Days, slices.Clone(e.Deadline.Clauses)
		}
		if e.Path != nil {
			r.Path, r.PathClause = e.Path.Quote.Show(lang), e.Path.Clause
		}
		if e.Effect != nil {
			r.Effect, r.EffectClause, r.EffectDays = e.Effect.Quote.Show(lang), e.Effect.Clause, e.Effect.Days
		}
		out = append(out, r)
	}
	return out
}

// Right returns the entry id in lang.
func (c *Catalogue) Right(id, lang string) (Right, bool) {
	for _, r := range c.Rights(lang) {
		if r.ID == id {
			return r, true
		}
	}
	return Right{}, false
}

// Facts returns the facts a person may confirm on surface, in id order
// (the order a receipt lists them in), with statements in lang; nil for
// none.
func (c *Catalogue) Facts(surface Surface, lang string) []Fact {
	var out []Fact
	for _, f := range c.facts {
		if slices.Contains(f.Surfaces, surface) {
			out = append(out, Fact{ID: f.ID, Clause: f.Clause, Statement: f.Statement.Show(lang)})
		}
	}
	slices.SortFunc(out, func(a, b Fact) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Fact returns the fact id if a person may confirm it on surface.
func (c *Catalogue) Fact(surface Surface, id, lang string) (Fact, bool) {
	for _, f := range c.Facts(surface, lang) {
		if f.ID == id {
			return f, true
		}
	}
	return Fact{}, false
}

// FactSurfaces returns the surfaces fact id may be confirmed on; nil when
// the catalogue declares no such fact.
func (c *Catalogue) FactSurfaces(id string) []Surface {
	for _, f := range c.facts {
		if f.ID == id {
			return slices.Clone(f.Surfaces)
		}
	}
	return nil
}

// Minors returns what the first-launch gate shows about minors in lang;
// false when the catalogue has no [minors] table (CheckPolicy requires one).
func (c *Catalogue) Minors(lang string) (Minors, bool) {
	if c.minors == nil {
		return Minors{}, false
	}
	m := Minors{Clause: c.minors.Clause, Text: c.minors.Text.Show(lang)}
	for _, f := range c.facts {
		if f.ID == c.minors.Fact {
			m.Fact = Fact{ID: f.ID, Clause: f.Clause, Statement: f.Statement.Show(lang)}
		}
	}
	return m, true
}

// checkConfirmed holds the facts of a decision to the catalogue: each
// declared for the decision's surface, each once, and only with an agreed
// decision, since a person who declines confirms nothing.
func (c *Catalogue) checkConfirmed(d Decision) error {
	if len(d.Confirmed) == 0 {
		return nil
	}
	if d.Kind != KindAgreed {
		return errs.New(errs.Unprocessable, "confirmed: a %s decision confirms no fact; facts are confirmed only by agreeing", d.Kind)
	}
	seen := map[string]bool{}
	for i, id := range d.Confirmed {
		at := fmt.Sprintf("confirmed[%d]", i)
		if seen[id] {
			return errs.New(errs.Unprocessable, "%s: fact %q is listed twice", at, id)
		}
		seen[id] = true
		if _, ok := c.Fact(d.Surface, id, LangZhHans); !ok {
			if on := c.FactSurfaces(id); len(on) > 0 {
				return errs.New(errs.Unprocessable, "%s: fact %q is confirmed on %s, not on %s", at, id, joinSurfaces(on), d.Surface)
			}
			return errs.New(errs.Unprocessable, "%s: policy %s declares no fact %q", at, c.version, id)
		}
	}
	return nil
}

func joinSurfaces(ss []Surface) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// validateRights checks the form of the rights, facts and minors table;
// what they quote and promise is CheckPolicy's to compare with the policy.
func (c *Catalogue) validateRights() error {
	seen := map[string]bool{}
	for _, r := range c.rights {
		fail := func(format string, args ...any) error {
			return errs.New(errs.Invalid, "catalogue %s: right %q: %s", c.version, r.ID, fmt.Sprintf(format, args...))
		}
		if !idRE.MatchString(r.ID) {
			return fail("id: must be lower-case letters, digits and hyphens")
		}
		if seen[r.ID] {
			return fail("id: duplicate")
		}
		seen[r.ID] = true
		if len(r.Sections) == 0 {
			return fail("sections: none listed; name the policy's sections on the right")
		}
		for _, s := range r.Sections {
			if !sectionRE.MatchString(s) {
				return fail("sections: %q is not a section anchor like \"s5-9\"", s)
			}
		}
		for field, t := range map[string]Text{"title": r.Title, "description": r.Description} {
			if err := checkText(t, true); err != "" {
				return fail("%s: %s", field, err)
			}
		}
		switch {
		case r.Target == "" && !r.Contact && !r.Withdraw:
			return fail("say how the right is exercised: target (an app screen), contact (the contact route) or withdraw")
		case r.Withdraw && (r.Target != "" || r.Contact):
			return fail("withdraw: the settings page withdraws on its own; it takes no target or contact route")
		case r.Target != "" && !slices.Contains(Targets, r.Target):
			return fail("target: %q is not a screen the app opens (%s)", r.Target, strings.Join(Targets, ", "))
		case r.Contact && r.Deadline == nil:
			return fail("deadline: the contact route needs the promised response deadline and the clauses that state it")
		case !r.Contact && r.Deadline != nil:
			return fail("deadline: only a request by the contact route is answered within a deadline")
		case r.Path != nil && r.Target == "":
			return fail("path: a path through the app belongs to an entry that opens the app's screen (target)")
		}
		if d := r.Deadline; d != nil {
			if d.Days <= 0 {
				return fail("deadline.days: must be a positive number of days")
			}
			if len(d.Clauses) == 0 {
				return fail("deadline.clauses: none; cite the clauses that state a deadline")
			}
			for _, id := range d.Clauses {
				if !clauseRE.MatchString(id) {
					return fail("deadline.clauses: %q is not an id of the policy", id)
				}
			}
		}
		if p := r.Path; p != nil {
			if !clauseRE.MatchString(p.Clause) {
				return fail("path.clause: %q is not an id of the policy", p.Clause)
			}
			if err := checkText(p.Quote, true); err != "" {
				return fail("path.quote: %s", err)
			}
		}
		if e := r.Effect; e != nil {
			switch {
			case e.Days <= 0:
				return fail("effect.days: must be a positive number of days")
			case !clauseRE.MatchString(e.Clause):
				return fail("effect.clause: %q is not an id of the policy", e.Clause)
			}
			if err := checkText(e.Quote, true); err != "" {
				return fail("effect.quote: %s", err)
			}
		}
	}

	facts := map[string]bool{}
	for _, f := range c.facts {
		fail := func(format string, args ...any) error {
			return errs.New(errs.Invalid, "catalogue %s: fact %q: %s", c.version, f.ID, fmt.Sprintf(format, args...))
		}
		if !idRE.MatchString(f.ID) {
			return fail("id: must be lower-case letters, digits and hyphens")
		}
		if facts[f.ID] {
			return fail("id: duplicate")
		}
		facts[f.ID] = true
		if len(f.Surfaces) == 0 {
			return fail("surfaces: none; name the surfaces that ask for it")
		}
		for _, s := range f.Surfaces {
			if s.Validate() != nil {
				return fail("surfaces: unknown surface %q", string(s))
			}
		}
		if !clauseRE.MatchString(f.Clause) {
			return fail("clause: %q is not an id of the policy", f.Clause)
		}
		if err := checkText(f.Statement, true); err != "" {
			return fail("statement: %s", err)
		}
	}

	if m := c.minors; m != nil {
		fail := func(format string, args ...any) error {
			return errs.New(errs.Invalid, "catalogue %s: minors: %s", c.version, fmt.Sprintf(format, args...))
		}
		if !clauseRE.MatchString(m.Clause) {
			return fail("clause: %q is not an id of the policy", m.Clause)
		}
		if err := checkText(m.Text, true); err != "" {
			return fail("text: %s", err)
		}
		if !facts[m.Fact] {
			return fail("fact: %q is not a declared [[fact]]", m.Fact)
		}
		if !slices.Contains(c.FactSurfaces(m.Fact), SurfaceFirstLaunch) {
			return fail("fact: %q is not confirmed on %s, where the gate shows the minors rule", m.Fact, SurfaceFirstLaunch)
		}
	}
	return nil
}
