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
