package consent

import (
	"fmt"

	"github.com/kaiconn/consent/errs"
)

// recipientEntry is one [[recipient]] of the catalogue: a kind of recipient
// that section 三、(一) of the policy shares personal information with
// besides the SDKs of its table (the affiliates, related parties, service
// providers and research institutions), in the clause's own words.
type recipientEntry struct {
	ID     string `toml:"id"`
	Clause string `toml:"clause"`
	// Name, Data and Use quote the clause: who receives, what, and why.
	Name Text `toml:"name"`
	Data Text `toml:"data"`
	Use  Text `toml:"use"`
}

// Recipient is a kind of recipient other than the SDKs, in one language.
type Recipient struct {
	ID, Clause      string
	Name, Data, Use string
}

// Recipients returns the recipients besides the SDKs, in file order, in
// lang.
func (c *Catalogue) Recipients(lang string) []Recipient {
	out := make([]Recipient, 0, len(c.recipients))
	for _, r := range c.recipients {
		out = append(out, Recipient{ID: r.ID, Clause: r.Clause, Name: r.Name.Show(lang), Data: r.Data.Show(lang), Use: r.Use.Show(lang)})
	}
	return out
}

func (c *Catalogue) validateRecipients() error {
	seen := map[string]bool{}
	for _, r := range c.recipients {
		fail := func(format string, args ...any) error {
			return errs.New(errs.Invalid, "catalogue %s: recipient %q: %s", c.version, r.ID, fmt.Sprintf(format, args...))
		}
		if !idRE.MatchString(r.ID) || seen[r.ID] {
			return fail("id: must be unique lower-case letters, digits and hyphens")
		}
		seen[r.ID] = true
		if !clauseRE.MatchString(r.Clause) {
			return fail("clause: %q is not an id of the policy", r.Clause)
		}
		for field, t := range map[string]Text{"name": r.Name, "data": r.Data, "use": r.Use} {
			if err := checkText(t, true); err != "" {
				return fail("%s: %s", field, err)
			}
		}
	}
	return nil
}
