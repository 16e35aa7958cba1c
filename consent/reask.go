package consent

import (
	"slices"
	"time"

	"github.com/kaiconn/consent/errs"
)

// Reask returns the purposes a new policy version must ask about again, in
// the new catalogue's display order: purposes that are new, and purposes
// whose texts or data changed (their content hash differs) and that the
// accepted decision granted, including the required processing. Consent to
// the old text does not cover the new one; a refusal of the old text still
// stands, so a changed purpose the person refused is not asked again.
// Nothing is re-asked when nothing changed, and nothing when there is no
// accepted decision: then ShouldPrompt asks for everything.
//
// acceptedCat must be the catalogue of accepted.PolicyVersion.
func Reask(accepted *Decision, acceptedCat, newCat *Catalogue) []PurposeID {
	if accepted == nil || accepted.Surface.Validate() != nil {
		return nil
	}
	var ids []PurposeID
	for _, p := range newCat.Purposes(accepted.Surface) {
		old, ok := acceptedCat.Purpose(accepted.Surface, p.ID)
		answered := slices.ContainsFunc(accepted.Choices, func(c Choice) bool { return c.Purpose == p.ID })
		switch {
		case !ok || !answered:
			ids = append(ids, p.ID)
		case old.Hash != p.Hash && (p.Required || accepted.Granted(p.ID)):
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// Reagree records the answer to a re-ask under newCat: the purposes Reask
// returned are granted when ticked and refused otherwise, and every other
// purpose keeps its answer in accepted. Ticking a purpose that was not
// re-asked fails with errs.Unprocessable, so an old grant is never carried
// onto changed text by mistake.
func Reagree(acceptedCat, newCat *Catalogue, accepted Decision, surface Surface, ticked []PurposeID, lang string, now time.Time) (Decision, error) {
	if err := checkSameAudience(accepted, surface); err != nil {
		return Decision{}, err
	}
	asked := Reask(&accepted, acceptedCat, newCat)
	for _, id := range ticked {
		if !slices.Contains(asked, id) {
			return Decision{}, errs.New(errs.Unprocessable, "purposes: purpose %q was not re-asked under policy %s", string(id), newCat.version)
		}
	}
	return newCat.decide(surface, KindAgreed, lang, now, func(p Purpose) bool {
		if slices.Contains(asked, p.ID) {
			return slices.Contains(ticked, p.ID)
		}
		return accepted.Granted(p.ID)
	})
}

// ItemChange is how the data a purpose collects changed from one policy
// version to the next, item by item (SplitItems): what the new text adds
// and what it no longer names, each in the order its own text lists them.
// A re-ask shows these instead of the two long lists side by side, which
// hides a one-item change in a paragraph.
type ItemChange struct {
	Added   []string
	Removed []string
}

// CollectsChange compares what was and now say they collect, in language
// lang (Text.In): the items of now that was does not name, and the items
// of was that now no longer names. Both are empty when the lists name the
// same items, in whatever order.
func CollectsChange(was, now Purpose, lang string) ItemChange {
	before, after := SplitItems(was.Collects.In(lang)), SplitItems(now.Collects.In(lang))
	var c ItemChange
	for _, it := range after {
		if !slices.Contains(before, it) {
			c.Added = append(c.Added, it)
		}
	}
	for _, it := range before {
		if !slices.Contains(after, it) {
			c.Removed = append(c.Removed, it)
		}
	}
	return c
}
