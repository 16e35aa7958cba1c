package consent

import (
	"slices"
	"strings"
	"time"

	"github.com/kaiconn/consent/errs"
)

// Choice is the answer for one purpose.
type Choice struct {
	Purpose PurposeID `json:"purpose"`
	Granted bool      `json:"granted"`
	// Required marks the required processing, granted without a tick box,
	// so that a decision read on its own shows it was never switchable.
	Required bool `json:"required,omitempty"`
}

// Decision is what a person decided on one surface under one policy
// version. Choices hold one entry for every purpose of the surface, sorted
// by purpose id, so that the JSON of a decision is deterministic and can be
// signed as a receipt.
type Decision struct {
	PolicyVersion string    `json:"policy_version"`
	Surface       Surface   `json:"surface"`
	Kind          Kind      `json:"kind"`
	Lang          string    `json:"lang"` // language the choices were shown in
	At            time.Time `json:"at"`   // UTC, millisecond precision
	Choices       []Choice  `json:"choices"`
	// Confirmed are the facts the person confirmed with the decision (the
	// catalogue's [[fact]] ids, such as "age-18" on first launch); nil for
	// none. Only an agreed decision confirms facts (CheckDecision), and its
	// receipt records them (receipt.confirmed), not as purposes: there is
	// nothing to withdraw.
	Confirmed []string `json:"confirmed,omitempty"`
}

// Granted reports whether the decision grants the purpose; a purpose it
// does not mention is refused, because consent is never presumed.
func (d Decision) Granted(id PurposeID) bool {
	i := slices.IndexFunc(d.Choices, func(c Choice) bool { return c.Purpose == id })
	return i >= 0 && d.Choices[i].Granted
}

// Refused reports whether the decision is a refusal for the 48-hour rule: a
// decline or withdrawal, or any decision that leaves a purpose refused. A
// person who ticked only some purposes has said no to the others, and
// asking again soon would press them to change their answer.
func (d Decision) Refused() bool {
	if d.Kind == KindDeclined || d.Kind == KindWithdrawn {
		return true
	}
	return slices.ContainsFunc(d.Choices, func(c Choice) bool { return !c.Granted })
}

// BasicUseAllowed reports whether the decision lets the person use the
// basic functions: the required processing is granted. No rule of this
// package produces a decision that refuses it, whatever optional purposes
// are refused or withdrawn; the function lets the gate say so in code.
func BasicUseAllowed(d Decision) bool {
	required := 0
	for _, c := range d.Choices {
		if c.Required {
			if !c.Granted {
				return false
			}
			required++
		}
	}
	return required > 0
}

// Revoked returns the purposes granted in before and refused in after, in
// id order: the SDKs to stop and the cookie categories whose cookies to
// delete.
func Revoked(before, after Decision) []PurposeID {
	var ids []PurposeID
	for _, c := range before.Choices {
		if c.Granted && !after.Granted(c.Purpose) {
			ids = append(ids, c.Purpose)
		}
	}
	return ids
}

// Blank returns the choices shown before the person answers: the required
// purpose on, every optional purpose off. Nothing is pre-ticked (PIPL art.
// 14: consent is a clear, voluntary act).
func Blank(cat *Catalogue, surface Surface) []Choice {
	return cat.choices(surface, func(Purpose) bool { return false })
}

// Agree records that the person accepted, granting the required purpose and
// exactly the optional purposes they ticked.
func Agree(cat *Catalogue, surface Surface, ticked []PurposeID, lang string, now time.Time) (Decision, error) {
	if err := cat.checkIDs(surface, ticked); err != nil {
		return Decision{}, err
	}
	return cat.decide(surface, KindAgreed, lang, now, func(p Purpose) bool { return slices.Contains(ticked, p.ID) })
}

// Decline records that the person refused every optional purpose. Basic use
// goes on: refusing optional purposes never blocks it (MIIT: no forced
// bundling), so a decline still grants the required processing. A person
// who does not accept the required processing cannot register (policy
// 1.3); that is not a decision recorded here.
func Decline(cat *Catalogue, surface Surface, lang string, now time.Time) (Decision, error) {
	return cat.decide(surface, KindDeclined, lang, now, func(Purpose) bool { return false })
}

// Update records changes made in settings, or on the banner when it is
// opened again. Purposes not in changes keep their answer in current, and a
// purpose current does not mention (new in this policy version) stays
// refused. Turning the required purpose off is refused with
// errs.Unprocessable.
func Update(cat *Catalogue, current Decision, surface Surface, changes map[PurposeID]bool, lang string, now time.Time) (Decision, error) {
	if err := checkSameAudience(current, surface); err != nil {
		return Decision{}, err
	}
	if len(changes) == 0 {
		return Decision{}, errs.New(errs.Invalid, "changes: nothing to update")
	}
	ids := make([]PurposeID, 0, len(changes))
	for id := range changes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if err := cat.checkIDs(surface, ids); err != nil {
		return Decision{}, err
	}
	for _, id := range ids {
		if p, _ := cat.Purpose(surface, id); p.Required && !changes[id] {
			return Decision{}, errs.New(errs.Unprocessable, "changes: purpose %q is required processing and cannot be refused", string(id))
		}
	}
	return cat.decide(surface, KindUpdated, lang, now, func(p Purpose) bool {
		if granted, ok := changes[p.ID]; ok {
			return granted
		}
		return current.Granted(p.ID)
	})
}

// Withdraw records that the person withdrew the purposes ids; every other
// purpose keeps its answer in current. Required processing cannot be
// withdrawn (errs.Unprocessable): it ends only with the account (policy
// 5.9).
func Withdraw(cat *Catalogue, current Decision, surface Surface, lang string, now time.Time, ids ...PurposeID) (Decision, error) {
	if err := checkSameAudience(current, surface); err != nil {
		return Decision{}, err
	}
	if len(ids) == 0 {
		return Decision{}, errs.New(errs.Invalid, "purposes: nothing to withdraw")
	}
	if err := cat.checkIDs(surface, ids); err != nil {
		return Decision{}, err
	}
	for _, id := range ids {
		if p, _ := cat.Purpose(surface, id); p.Required {
			return Decision{}, errs.New(errs.Unprocessable, "purposes: purpose %q is required processing and cannot be withdrawn; cancelling the account ends it", string(id))
		}
	}
	return cat.decide(surface, KindWithdrawn, lang, now, func(p Purpose) bool {
		return !slices.Contains(ids, p.ID) && current.Granted(p.ID)
	})
}

// CheckDecision validates a decision received from a device against the
// catalogue of its policy version: known surface, kind and language, one
// choice per purpose of the surface in id order, required processing
// granted, confirmed facts declared for the surface and only with an
// agreement. It is what the server runs before it countersigns a receipt.
func (c *Catalogue) CheckDecision(d Decision) error {
	if d.PolicyVersion != c.version {
		return errs.New(errs.Unprocessable, "policy_version: %q is not this catalogue's version %q", d.PolicyVersion, c.version)
	}
	if err := d.Surface.Validate(); err != nil {
		return err
	}
	if !slices.Contains(Kinds, d.Kind) {
		return errs.New(errs.Invalid, "kind: unknown decision kind %q", string(d.Kind))
	}
	if err := validateLang(d.Lang); err != nil {
		return err
	}
	if d.At.IsZero() {
		return errs.New(errs.Invalid, "at: missing time")
	}
	want := Blank(c, d.Surface)
	if len(d.Choices) != len(want) {
		return errs.New(errs.Unprocessable, "choices: want one choice for each of the %d purposes of %s, have %d", len(want), d.Surface, len(d.Choices))
	}
	for i, ch := range d.Choices {
		if ch.Purpose != want[i].Purpose {
			return errs.New(errs.Unprocessable, "choices: purpose %q is unknown or out of order", string(ch.Purpose))
		}
		if ch.Required != want[i].Required {
			return errs.New(errs.Unprocessable, "choices: purpose %q: required is %t, catalogue says %t", string(ch.Purpose), ch.Required, want[i].Required)
		}
		if ch.Required && !ch.Granted {
			return errs.New(errs.Unprocessable, "choices: purpose %q is required processing and cannot be refused", string(ch.Purpose))
		}
	}
	return c.checkConfirmed(d)
}

// decide builds a decision on surface with grant answering for every
// optional purpose; the required purpose is always granted.
func (c *Catalogue) decide(surface Surface, kind Kind, lang string, now time.Time, grant func(Purpose) bool) (Decision, error) {
	if err := surface.Validate(); err != nil {
		return Decision{}, err
	}
	if err := validateLang(lang); err != nil {
		return Decision{}, err
	}
	return Decision{
		PolicyVersion: c.version,
		Surface:       surface,
		Kind:          kind,
		Lang:          lang,
		// UTC at millisecond precision, so that the JSON is the same
		// on every platform and survives a round trip through any store.
		At:      now.UTC().Truncate(time.Millisecond),
		Choices: c.choices(surface, grant),
	}, nil
}

func (c *Catalogue) choices(surface Surface, grant func(Purpose) bool) []Choice {
	ps := c.Purposes(surface)
	cs := make([]Choice, 0, len(ps))
	for _, p := range ps {
		cs = append(cs, Choice{Purpose: p.ID, Granted: p.Required || grant(p), Required: p.Required})
	}
	slices.SortFunc(cs, func(a, b Choice) int { return strings.Compare(string(a.Purpose), string(b.Purpose)) })
	return cs
}

// checkIDs fails with errs.Unprocessable naming the first id the surface
// does not show.
func (c *Catalogue) checkIDs(surface Surface, ids []PurposeID) error {
	if err := surface.Validate(); err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok := c.Purpose(surface, id); !ok {
			return errs.New(errs.Unprocessable, "purposes: unknown purpose %q on surface %s", string(id), surface)
		}
	}
	return nil
}

// checkSameAudience refuses to carry the website's cookie choices into the
// app's settings or the other way round: they are different purposes that
// happen to share ids.
func checkSameAudience(current Decision, surface Surface) error {
	if err := surface.Validate(); err != nil {
		return err
	}
	if err := current.Surface.Validate(); err != nil {
		return err
	}
	if current.Surface.Audience() != surface.Audience() {
		return errs.New(errs.Unprocessable, "surface: a decision made on %s cannot be changed on %s", current.Surface, surface)
	}
	return nil
}
