//go:build !wasm

package consent

import (
	"strings"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/policy"
)

// checkSensitive holds the [[sensitive]] terms to the policy (see
// CheckPolicy): each cites a clause the policy has in every language, and
// every term the policy bolds in a clause or SDK row the lists quote is
// covered by a term of the table, so that the lists mark at least what the
// policy marks.
func (c *Catalogue) checkSensitive(docs map[string]*policy.Document) error {
	for i, s := range c.sensitive {
		for _, lang := range Languages {
			if _, ok := docs[lang].Find(s.Clause); !ok {
				return errs.New(errs.Invalid, "catalogue %s: sensitive[%d] (%s): clause: %q is not in the %s policy", c.version, i, s.Term.Show(LangZhHans), s.Clause, lang)
			}
		}
	}
	for _, lang := range Languages {
		d := docs[lang]
		for _, p := range c.purposes {
			for _, f := range p.Functions {
				var runs []policy.Inline
				if f.SDK != "" {
					row, _ := d.SDK(f.SDK)
					runs = row.CollectedText
				}
				for _, q := range f.Data {
					if r, ok := d.Find(q.Clause); ok {
						if b, ok := r.(*policy.Block); ok {
							runs = append(runs, allRuns(b)...)
						}
					}
				}
				for _, r := range runs {
					if !r.Strong || strings.TrimSpace(r.Text) == "" {
						continue
					}
					if _, ok := c.SensitiveIn(r.Text, lang); !ok {
						return errs.New(errs.Invalid, "catalogue %s: sensitive (%s): the policy marks %q as sensitive (business function %q), but no [[sensitive]] term covers it", c.version, lang, r.Text, f.ID)
					}
				}
			}
		}
	}
	return nil
}

// allRuns is every run of text of a block and the clauses under it.
func allRuns(b *policy.Block) []policy.Inline {
	runs := append([]policy.Inline(nil), b.Text...)
	for _, it := range b.Items {
		runs = append(runs, allRuns(it)...)
	}
	return runs
}

// checkRecipients holds the [[recipient]] entries to the policy: each
// clause is in every language, and its name, data and use are quoted from
// it (compared as the rights' quotes are).
func (c *Catalogue) checkRecipients(docs map[string]*policy.Document) error {
	for _, r := range c.recipients {
		for _, lang := range Languages {
			text := docs[lang].PlainText(r.Clause)
			if text == "" {
				return errs.New(errs.Invalid, "catalogue %s: recipient %q: clause: %q is not in the %s policy", c.version, r.ID, r.Clause, lang)
			}
			for field, t := range map[string]Text{"name": r.Name, "data": r.Data, "use": r.Use} {
				if !quoted(text, t[lang], lang) {
					return errs.New(errs.Invalid, "catalogue %s: recipient %q: %s (%s): %q is not in %s", c.version, r.ID, field, lang, t[lang], r.Clause)
				}
			}
		}
	}
	return nil
}
