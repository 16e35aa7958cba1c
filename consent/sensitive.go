package consent

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kaiconn/consent/errs"
)

// sensitiveEntry is one [[sensitive]] of the catalogue: a term of personal
// information that the lists mark as sensitive (敏感个人信息) wherever a
// data item holds it, and the clause of the policy that makes it so.
//
// The policy bolds sensitive terms unevenly (手机号码 in 1.(三), but not 密码
// there, nor 音视频信息 or 地理位置 in the SDK table, though its definition,
// 1.(一)3, counts passwords, biometric data and whereabouts as sensitive).
// One table of terms, applied to every item alike, marks them consistently;
// CheckPolicy makes sure it covers every term the policy bolds in the
// clauses the lists quote.
type sensitiveEntry struct {
	Clause string `toml:"clause"`
	Term   Text   `toml:"term"`
}

// SensitiveTerms returns the terms of personal information the catalogue
// marks as sensitive, in lang, longest first, so that a longer term
// (手机号码) wins over a shorter one it holds (手机号).
func (c *Catalogue) SensitiveTerms(lang string) []string {
	var out []string
	for _, s := range c.sensitive {
		if t := s.Term.Show(lang); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return out
}

// SensitiveIn returns the sensitive term item holds, compared without case,
// and whether it holds one.
func (c *Catalogue) SensitiveIn(item, lang string) (string, bool) {
	low := strings.ToLower(item)
	for _, t := range c.SensitiveTerms(lang) {
		if strings.Contains(low, strings.ToLower(t)) {
			return t, true
		}
	}
	return "", false
}

func (c *Catalogue) validateSensitive() error {
	for i, s := range c.sensitive {
		fail := func(format string, args ...any) error {
			return errs.New(errs.Invalid, "catalogue %s: sensitive[%d]: %s", c.version, i, fmt.Sprintf(format, args...))
		}
		if err := checkText(s.Term, true); err != "" {
			return fail("term: %s", err)
		}
		if !clauseRE.MatchString(s.Clause) {
			return fail("clause: %q is not an id of the policy", s.Clause)
		}
	}
	return nil
}
