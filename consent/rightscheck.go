//go:build !wasm

package consent

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/policy"
)

// checkRights holds the rights centre, the facts and the minors rule to the
// policy (see CheckPolicy):
//
//   - every right of RequiredRights has an entry; account deletion opens
//     the app's account-deletion screen and quotes the policy's path and
//     effect;
//   - every section and clause an entry, a fact or the minors rule cites is
//     in the policy, in every language;
//   - a promised response deadline is the shortest deadline its cited
//     clauses state, in every language, and an entry with the contact route
//     cites the contact block, whose reply promise binds that route;
//   - a path, an effect and the minors text are in their clause (compared
//     with full-width punctuation as ASCII and, in Chinese, without
//     spaces); an effect states its days; the minors text is whole
//     sentences of its clause, so the gate says what section 6 says;
//   - the contact block has its email, phone and address in every language.
func (c *Catalogue) checkRights(v *policy.Version, docs map[string]*policy.Document) error {
	for _, id := range RequiredRights {
		if !slices.ContainsFunc(c.rights, func(r rightEntry) bool { return r.ID == id }) {
			return errs.New(errs.Invalid, "catalogue %s: right %q: missing; the rights centre offers %s", c.version, id, strings.Join(RequiredRights, ", "))
		}
	}
	exists := func(id string) string {
		for _, lang := range Languages {
			if _, ok := docs[lang].Find(id); !ok {
				return fmt.Sprintf("%q is not in the %s policy", id, lang)
			}
		}
		return ""
	}
	for _, r := range c.rights {
		fail := func(format string, args ...any) error {
			return errs.New(errs.Invalid, "catalogue %s: right %q: %s", c.version, r.ID, fmt.Sprintf(format, args...))
		}
		for _, s := range r.Sections {
			if msg := exists(s); msg != "" {
				return fail("sections: %s", msg)
			}
		}
		if r.ID == "account-deletion" {
			switch {
			case r.Target != TargetAccountDeletion:
				return fail("target: account deletion opens the app's %q screen", TargetAccountDeletion)
			case r.Path == nil:
				return fail("path: quote the policy's way to the account-deletion screen")
			case r.Effect == nil:
				return fail("effect: quote when the policy says the cancellation takes effect")
			}
		}
		if r.Contact {
			details, err := v.Contact(LangZhHans)
			for _, lang := range Languages[1:] {
				if err == nil {
					_, err = v.Contact(lang)
				}
			}
			if err != nil {
				return fail("contact: %s", errs.Message(err))
			}
			if !slices.Contains(r.Deadline.Clauses, details.Clause) {
				return fail("deadline.clauses: cite %s, whose reply promise binds the contact route", details.Clause)
			}
		}
		if d := r.Deadline; d != nil {
			for _, id := range d.Clauses {
				if msg := exists(id); msg != "" {
					return fail("deadline.clauses: %s", msg)
				}
			}
			for _, lang := range Languages {
				if err := checkDeadline(d, docs[lang]); err != "" {
					return fail("%s", err)
				}
			}
		}
		if p := r.Path; p != nil {
			if msg := exists(p.Clause); msg != "" {
				return fail("path.clause: %s", msg)
			}
			for _, lang := range Languages {
				if !quoted(docs[lang].PlainText(p.Clause), p.Quote[lang], lang) {
					return fail("path.quote (%s): %q is not in %s", lang, p.Quote[lang], p.Clause)
				}
			}
		}
		if e := r.Effect; e != nil {
			if msg := exists(e.Clause); msg != "" {
				return fail("effect.clause: %s", msg)
			}
			for _, lang := range Languages {
				q := e.Quote[lang]
				if !quoted(docs[lang].PlainText(e.Clause), q, lang) {
					return fail("effect.quote (%s): %q is not in %s", lang, q, e.Clause)
				}
				if days, ok := statedDays(q); !ok || days != e.Days {
					return fail("effect.days: %d, but the quote (%s) %q states %s", e.Days, lang, q, daysOrNone(days, ok))
				}
			}
		}
	}

	for _, f := range c.facts {
		if msg := exists(f.Clause); msg != "" {
			return errs.New(errs.Invalid, "catalogue %s: fact %q: clause: %s", c.version, f.ID, msg)
		}
	}
	m := c.minors
	if m == nil {
		return errs.New(errs.Invalid, "catalogue %s: minors: missing; quote the sentences of the policy's section on minors the gate shows, and the fact that confirms them", c.version)
	}
	if msg := exists(m.Clause); msg != "" {
		return errs.New(errs.Invalid, "catalogue %s: minors: clause: %s", c.version, msg)
	}
	if m.Fact != FactAge18 {
		return errs.New(errs.Invalid, "catalogue %s: minors: fact: %q, but the gate's 18+ box confirms %q; a new age rule needs a new gate", c.version, m.Fact, FactAge18)
	}
	for _, lang := range Languages {
		text := docs[lang].PlainText(m.Clause)
		found, whole := sentences(text, m.Text[lang], lang)
		switch {
		case !found:
			return errs.New(errs.Invalid, "catalogue %s: minors: text (%s): %q is not in %s word for word", c.version, lang, m.Text[lang], m.Clause)
		case !whole:
			return errs.New(errs.Invalid, "catalogue %s: minors: text (%s): %q is part of a sentence of %s; quote whole sentences", c.version, lang, m.Text[lang], m.Clause)
		}
	}
	// The gate and settings show the contact block whatever the entries
	// say, so it is checked even when no entry offers the contact route.
	for _, lang := range Languages {
		if _, err := v.Contact(lang); err != nil {
			return errs.New(errs.Invalid, "catalogue %s: contact: %s", c.version, errs.Message(err))
		}
	}
	return nil
}

// statedDeadline is a response deadline a clause states, as written. Its
// days are calendar or working days alike: see checkDeadline.
type statedDeadline struct {
	clause string
	phrase string // as the clause words it, e.g. "三十个工作日内"
	days   int
}

var (
	zhDeadlineRE = regexp.MustCompile(`([0-9]+|[零〇一二两三四五六七八九十百]+)\s*(个工作日|个自然日|天|日)内`)
	enDeadlineRE = regexp.MustCompile(`(?i)within ([0-9]+) (working |business )?days?`)
	daysRE       = regexp.MustCompile(`(?i)([0-9]+|[零〇一二两三四五六七八九十百]+)\s*(天|日|days?\b)`)
)

// deadlinesIn returns the deadlines clause states in its text.
func deadlinesIn(clause, text, lang string) []statedDeadline {
	var out []statedDeadline
	re := enDeadlineRE
	if lang == LangZhHans {
		re = zhDeadlineRE
	}
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		n, ok := number(m[1])
		if !ok {
			continue
		}
		out = append(out, statedDeadline{clause: clause, phrase: m[0], days: n})
	}
	return out
}

// checkDeadline compares a promised deadline with the deadlines its
// clauses state in d's language and returns what is wrong, "" when
// nothing is. A deadline of n working days lasts at least n calendar days
// (with 调休, a weekend may hold working days), so it counts as n when the
// shortest is sought: a promise of n days is never longer than it.
func checkDeadline(dl *deadline, d *policy.Document) string {
	var stated []statedDeadline
	for _, id := range dl.Clauses {
		ds := deadlinesIn(id, d.PlainText(id), d.Lang)
		if len(ds) == 0 {
			return fmt.Sprintf("deadline.clauses (%s): %s states no deadline; cite only clauses that do", d.Lang, id)
		}
		stated = append(stated, ds...)
	}
	shortest := slices.MinFunc(stated, func(a, b statedDeadline) int { return a.days - b.days })
	switch {
	case dl.Days > shortest.days:
		return fmt.Sprintf("deadline.days: promises %d days, longer than the %d days %s states (%s: %q); promise the shortest deadline the cited clauses state", dl.Days, shortest.days, shortest.clause, d.Lang, shortest.phrase)
	case dl.Days < shortest.days:
		return fmt.Sprintf("deadline.days: promises %d days, but the shortest deadline the cited clauses state is %d days (%s, %s: %q); promise what the policy states", dl.Days, shortest.days, shortest.clause, d.Lang, shortest.phrase)
	}
	return ""
}

// statedDays returns the number of days text states, as in "申请注销后7天生效"
// or "takes effect within 7 days".
func statedDays(text string) (int, bool) {
	m := daysRE.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	return number(m[1])
}

func daysOrNone(days int, ok bool) string {
	if !ok {
		return "no number of days"
	}
	return strconv.Itoa(days)
}

// number reads a count written in digits or in Chinese numerals up to the
// hundreds ("15", "十五", "三十").
func number(s string) (int, bool) {
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	digits := map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
	total, cur := 0, 0
	for _, r := range s {
		switch r {
		case '十', '百':
			if cur == 0 {
				cur = 1
			}
			if r == '十' {
				total += cur * 10
			} else {
				total += cur * 100
			}
			cur = 0
		default:
			d, ok := digits[r]
			if !ok {
				return 0, false
			}
			cur = d
		}
	}
	return total + cur, s != ""
}

// widthFold maps the full-width punctuation the catalogue writes in Chinese
// to the ASCII forms the policy's Chinese mostly uses, so that a quote is
// compared by its words.
var widthFold = strings.NewReplacer("，", ",", "：", ":", "；", ";", "（", "(", "）", ")", "！", "!", "？", "?")

// normQuote is the form a quote and its clause are compared in: full-width
// punctuation folded to ASCII, and in Chinese no spaces at all (the
// policy's stray spaces, as in "【个人资料】- 【注销账户】", mean nothing
// there), in English single spaces.
func normQuote(s, lang string) string {
	s = widthFold.Replace(s)
	if lang == LangZhHans {
		return strings.Join(strings.Fields(s), "")
	}
	return strings.Join(strings.Fields(s), " ")
}

// quoted reports whether quote is in text, compared by normQuote.
func quoted(text, quote, lang string) bool {
	q := normQuote(quote, lang)
	return q != "" && strings.Contains(normQuote(text, lang), q)
}

// sentences reports whether quote is in text (compared by normQuote), and
// whether it is there as whole sentences: it starts where text or a
// sentence starts and ends with the end of a sentence.
func sentences(text, quote, lang string) (found, whole bool) {
	t, q := normQuote(text, lang), normQuote(quote, lang)
	if q == "" {
		return false, false
	}
	ends := func(s string) bool {
		for _, e := range []string{"。", ".", "!", "?"} {
			if strings.HasSuffix(s, e) {
				return true
			}
		}
		return false
	}
	for off := 0; ; {
		i := strings.Index(t[off:], q)
		if i < 0 {
			return found, false
		}
		i += off
		found = true
		before := strings.TrimRight(t[:i], " ")
		if (before == "" || ends(before)) && ends(q) {
			return true, true
		}
		off = i + len(q)
	}
}
