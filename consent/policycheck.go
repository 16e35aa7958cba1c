//go:build !wasm

// Holding a catalogue to its policy happens where the policy is parsed:
// on the server, never in the wasm.

package consent

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/kaiconn/consent/errs"
	"github.com/kaiconn/consent/policy"
)

// LoadCatalogueFor loads the catalogue of policy version v from fsys and
// holds it to v (CheckPolicy). The server loads every catalogue this way,
// so a release whose catalogue and policy disagree does not start.
func LoadCatalogueFor(fsys fs.FS, v *policy.Version) (*Catalogue, error) {
	c, err := LoadCatalogue(fsys, v.ID)
	if err != nil {
		return nil, err
	}
	if err := c.CheckPolicy(v); err != nil {
		return nil, err
	}
	return c, nil
}

// CheckPolicy holds the catalogue to the policy version it belongs to, so
// that what the gate, the settings, the receipts and the two lists say is
// what the policy says. It fails with errs.Invalid, naming the purpose, the
// language, the clause and the items, when:
//
//   - an app purpose names no business function, no legal basis or no
//     retention clause, or one without a third-party SDK names no
//     recipient clause;
//   - a clause id it names is not in the policy, in either language;
//   - an SDK row of the policy (s2-3-sdks) is named by no business function
//     or by several, or a function names a row the policy does not have;
//   - a quote is not in its clause, or is only a part of the clause's
//     enumeration (the item before or after it belongs to the same list);
//   - the items of a purpose's "collects" text (split by SplitItems) and
//     the items its functions' rows and quotes list (but for an optional
//     function's, which the person may choose not to give) differ either way, in
//     any language, compared without case or extra spaces. In a language
//     whose SDK row is marked as differing in its collected data ("differs:
//     collected"), the catalogue may name more than that row, because the
//     governing Chinese text is held exactly;
//   - an SDK purpose's function or use text is not its row's, or its
//     privacy URL is not the row's policy link;
//   - a permission of the policy (s2-3-perms) is not mapped, or the
//     catalogue maps one the policy does not list;
//   - an item flag (ItemFlag) names no item of the purpose's "collects"
//     text, or flags other items as sensitive or as location than the
//     policy does (checkFlags), or a necessity or impact quote is not in
//     its clause;
//   - a [[sensitive]] term cites a clause the policy lacks, or the policy
//     bolds a term in a clause or SDK row the lists quote that no term
//     covers (checkSensitive);
//   - a [[recipient]]'s name, data or use is not in its clause
//     (checkRecipients);
//   - the rights centre, the facts or the minors rule cite, quote or
//     promise other than the policy states (checkRights).
func (c *Catalogue) CheckPolicy(v *policy.Version) error {
	if v == nil || v.ID != c.version {
		return errs.New(errs.Invalid, "catalogue %s: checked against another policy version", c.version)
	}
	docs := map[string]*policy.Document{}
	for _, lang := range Languages {
		d, ok := v.Doc(lang)
		if !ok {
			return errs.New(errs.Invalid, "catalogue %s: the policy has no %s text", c.version, lang)
		}
		docs[lang] = d
	}
	rows := map[string][]string{} // SDK row id → functions naming it
	for _, p := range c.purposes {
		if err := c.checkPurpose(p, docs, rows); err != nil {
			return err
		}
	}
	zh := docs[LangZhHans]
	for _, r := range zh.SDKs() {
		if len(rows[r.ID]) == 0 {
			return errs.New(errs.Invalid, "catalogue %s: SDK table row %q (%s): no business function names it; every SDK the policy lists needs one", c.version, r.ID, r.Name)
		}
	}
	if err := c.checkPermissions(docs); err != nil {
		return err
	}
	if err := c.checkImpact(docs); err != nil {
		return err
	}
	if err := c.checkSensitive(docs); err != nil {
		return err
	}
	if err := c.checkRecipients(docs); err != nil {
		return err
	}
	return c.checkRights(v, docs)
}

// checkPurpose compares one purpose with the policy; rows collects which
// function names which SDK row.
func (c *Catalogue) checkPurpose(p Purpose, docs map[string]*policy.Document, rows map[string][]string) error {
	fail := func(format string, args ...any) error {
		return errs.New(errs.Invalid, "catalogue %s: purpose %q: %s", c.version, string(p.ID), fmt.Sprintf(format, args...))
	}
	for _, field := range []string{"recipients", "scope", "basis", "retention"} {
		for _, id := range p.Policy.All()[field] {
			for _, lang := range Languages {
				if _, ok := docs[lang].Find(id); !ok {
					return fail("policy.%s: %q is not in the %s policy", field, id, lang)
				}
			}
		}
	}
	if p.Audience != AudienceApp {
		return nil
	}
	var sdkFns []BusinessFunction
	for _, f := range p.Functions {
		if f.SDK != "" {
			sdkFns = append(sdkFns, f)
			rows[f.SDK] = append(rows[f.SDK], f.ID)
			if len(rows[f.SDK]) > 1 {
				return errs.New(errs.Invalid, "catalogue %s: SDK table row %q: named by the business functions %s; one SDK is one function", c.version, f.SDK, strings.Join(rows[f.SDK], ", "))
			}
		}
	}
	switch {
	case len(p.Functions) == 0:
		return fail("business_function: none; name the business functions the purpose serves and where the policy lists their data")
	case len(p.Policy.Basis) == 0:
		return fail("policy.basis: none; name the clause that makes the processing lawful")
	case len(p.Policy.Retention) == 0:
		return fail("policy.retention: none; name the clause that says how long the data are kept")
	case len(sdkFns) == 0 && len(p.Policy.Recipients) == 0:
		return fail("policy.recipients: none; name the clause that says who receives the data")
	case len(p.SDK) > 0 && len(sdkFns) != 1:
		return fail("business_function: an SDK purpose has exactly one function with an sdk row, have %d", len(sdkFns))
	}
	for _, lang := range Languages {
		d := docs[lang]
		policyItems := newItemSet()
		lenient := false
		for _, f := range p.Functions {
			items, err := functionItems(f, d)
			if err != nil {
				return fail("business_function %q (%s): %v", f.ID, lang, err)
			}
			// What the person may choose not to give is not what the
			// purpose requires; its quotes are still held to the policy.
			if f.Optional {
				continue
			}
			for _, it := range items {
				policyItems.add(it.text, it.from)
			}
			if f.SDK != "" && lang != LangZhHans {
				row, _ := d.SDK(f.SDK)
				lenient = lenient || slices.Contains(row.Differs, "collected")
			}
		}
		ours := newItemSet()
		for _, it := range SplitItems(p.Collects[lang]) {
			ours.add(it, "")
		}
		var missing, extra []string
		for _, k := range policyItems.keys {
			if !ours.has(k) {
				missing = append(missing, fmt.Sprintf("%q (%s)", policyItems.text[k], policyItems.from[k]))
			}
		}
		for _, k := range ours.keys {
			if !policyItems.has(k) {
				extra = append(extra, fmt.Sprintf("%q", ours.text[k]))
			}
		}
		if len(missing) > 0 {
			return fail("collects (%s): lacks %s, which the policy lists", lang, strings.Join(missing, ", "))
		}
		if len(extra) > 0 && !lenient {
			return fail("collects (%s): names %s, which none of its clauses lists", lang, strings.Join(extra, ", "))
		}
	}
	if err := checkFlags(p, docs, fail); err != nil {
		return err
	}
	if len(sdkFns) == 1 && len(p.SDK) > 0 {
		row, _ := docs[LangZhHans].SDK(sdkFns[0].SDK)
		if p.PrivacyURL != row.PolicyURL {
			return fail("privacy_url: %q, but SDK table row %q links %q", p.PrivacyURL, row.ID, row.PolicyURL)
		}
		for _, lang := range Languages {
			row, _ := docs[lang].SDK(sdkFns[0].SDK)
			for _, fact := range []struct{ field, ours, theirs, rowField string }{
				{"function", p.Function[lang], row.Function, "function"},
				{"use", p.Use[lang], row.Purpose, "purpose"},
			} {
				if lang != LangZhHans && slices.Contains(row.Differs, fact.rowField) {
					continue
				}
				if normItem(fact.ours) != normItem(fact.theirs) {
					return fail("%s (%s): %q, but SDK table row %q says %q", fact.field, lang, fact.ours, row.ID, fact.theirs)
				}
			}
		}
	}
	return nil
}

// checkFlags holds a purpose's item flags to the policy:
//
//   - each flagged item is an item of the purpose's "collects" text, in
//     every language;
//   - an item is flagged sensitive if and only if the governing Chinese
//     policy marks it so: its own clause or SDK table row prints a part of
//     it in bold (clause 1.1.3: "有关您的个人敏感信息内容我们已采用粗体标示"),
//     or the flag names another clause that prints its term in bold, such
//     as the list of sensitive information in 1.1.3;
//   - an item is flagged location if and only if it names a location, which
//     the policy always does with 位置 (位置信息, 地理位置, 获取位置);
//   - a purpose with a sensitive item states why it is needed: its
//     necessity quote, found in its clause in every language, or, for an
//     SDK purpose, the purpose of use of its row, which checkPurpose holds
//     to the table.
func checkFlags(p Purpose, docs map[string]*policy.Document, fail func(string, ...any) error) error {
	zh := docs[LangZhHans]
	collects := map[string]*itemSet{}
	for _, lang := range Languages {
		collects[lang] = newItemSet()
		for _, it := range SplitItems(p.Collects[lang]) {
			collects[lang].add(it, "")
		}
	}
	flagged := map[string]ItemFlag{}
	for i, f := range p.Flags {
		for _, lang := range Languages {
			if !collects[lang].has(normItem(f.Item[lang])) {
				return fail("flag[%d].item (%s): %q is not an item of collects", i, lang, f.Item[lang])
			}
		}
		flagged[normItem(f.Item[LangZhHans])] = f
		if f.Sensitive && !strings.Contains(f.Item[LangZhHans], f.Term) {
			return fail("flag[%d].term: %q is not part of the item %q", i, f.Term, f.Item[LangZhHans])
		}
		if f.Sensitive && f.Clause != "" && !slices.ContainsFunc(boldRuns(zh, f.Clause), func(b string) bool { return strings.Contains(b, f.Term) }) {
			return fail("flag[%d]: %s prints no %q in bold, so the policy does not mark %q as sensitive", i, f.Clause, f.Term, f.Item[LangZhHans])
		}
	}
	// What the purpose's own sources print in bold.
	bold := map[string]string{} // item key → the bold words it contains
	for _, f := range p.Functions {
		var runs, items []string
		if f.SDK != "" {
			row, _ := zh.SDK(f.SDK)
			for _, in := range row.CollectedText {
				if in.Strong {
					runs = append(runs, in.Text)
				}
			}
			items = SplitItems(row.Collected)
		} else {
			for _, q := range f.Data {
				runs = append(runs, boldRuns(zh, q.Clause)...)
				items = append(items, SplitItems(q.Quote[LangZhHans])...)
			}
		}
		for _, it := range items {
			for _, r := range runs {
				if strings.Contains(it, r) {
					bold[normItem(it)] = r
				}
			}
		}
	}
	for _, k := range collects[LangZhHans].keys {
		f, ok := flagged[k]
		item := collects[LangZhHans].text[k]
		switch {
		case bold[k] != "" && !f.Sensitive:
			return fail("flag: %q: the policy prints %q in bold, which marks sensitive personal information; flag it sensitive", item, bold[k])
		case ok && f.Sensitive && f.Clause == "" && bold[k] == "":
			return fail("flag: %q is flagged sensitive, but its clause does not print it in bold; name the clause that does", item)
		case strings.Contains(item, "位置") != (ok && f.Location):
			return fail("flag: %q: an item is flagged location if and only if it names a location (位置)", item)
		}
	}
	if p.Necessity != nil {
		for _, lang := range Languages {
			if !strings.Contains(docs[lang].PlainText(p.Necessity.Clause), p.Necessity.Quote[lang]) {
				return fail("necessity.quote (%s): %q is not in %s", lang, p.Necessity.Quote[lang], p.Necessity.Clause)
			}
		}
	} else if p.HasSensitive() && len(p.SDK) == 0 {
		return fail("necessity: the purpose collects sensitive personal information; quote the clause that says why it is needed")
	}
	return nil
}

// boldRuns returns the runs of text the block id prints in bold, its
// nested clauses included.
func boldRuns(d *policy.Document, id string) []string {
	ref, _ := d.Find(id)
	b, ok := ref.(*policy.Block)
	if !ok {
		return nil
	}
	var runs []string
	var walk func(b *policy.Block)
	walk = func(b *policy.Block) {
		for _, in := range b.Text {
			if in.Strong {
				runs = append(runs, in.Text)
			}
		}
		for _, c := range b.Items {
			walk(c)
		}
	}
	walk(b)
	return runs
}

// checkImpact holds the catalogue's statement of what sensitive personal
// information may do to a person to its clause, and requires one when a
// purpose collects such information.
func (c *Catalogue) checkImpact(docs map[string]*policy.Document) error {
	if c.impact == nil {
		for _, p := range c.purposes {
			if p.HasSensitive() {
				return errs.New(errs.Invalid, "catalogue %s: sensitive_impact: purpose %q collects sensitive personal information; quote the policy on what it may do to a person (PIPL art. 30)", c.version, string(p.ID))
			}
		}
		return nil
	}
	for _, lang := range Languages {
		if !strings.Contains(docs[lang].PlainText(c.impact.Clause), c.impact.Quote[lang]) {
			return errs.New(errs.Invalid, "catalogue %s: sensitive_impact.quote (%s): %q is not in %s", c.version, lang, c.impact.Quote[lang], c.impact.Clause)
		}
	}
	return nil
}

// sourcedItem is a data item and where the policy lists it.
type sourcedItem struct{ text, from string }

// functionItems returns the data items the policy lists for a business
// function in the language of d.
func functionItems(f BusinessFunction, d *policy.Document) ([]sourcedItem, error) {
	var items []sourcedItem
	if f.SDK != "" {
		row, ok := d.SDK(f.SDK)
		if !ok {
			return nil, fmt.Errorf("sdk: the SDK table has no row %q", f.SDK)
		}
		for _, it := range SplitItems(row.Collected) {
			items = append(items, sourcedItem{it, fmt.Sprintf("SDK table row %q", f.SDK)})
		}
		return items, nil
	}
	for i, q := range f.Data {
		text := d.PlainText(q.Clause)
		if text == "" {
			return nil, fmt.Errorf("data[%d].clause: %q is not in the policy", i, q.Clause)
		}
		quote := q.Quote[d.Lang]
		found, whole := wholeEnumeration(text, quote, d.Lang)
		if !found {
			return nil, fmt.Errorf("data[%d].quote: %q is not in %s", i, quote, q.Clause)
		}
		if !whole {
			return nil, fmt.Errorf("data[%d].quote: %q is part of a longer list in %s; quote the whole list", i, quote, q.Clause)
		}
		for _, it := range SplitItems(quote) {
			items = append(items, sourcedItem{it, q.Clause})
		}
	}
	return items, nil
}

// wholeEnumeration reports whether quote occurs in text, and whether it
// occurs there as a whole list: not continued by another item before or
// after it. In Chinese prose, items are joined by 、 and the last by 和, 及
// or 与, while a comma ends a clause; in English, items are joined by commas
// and "and" or "or", and a list may end ", and other information". An item
// added inside a quoted list makes the quote no longer match at all.
func wholeEnumeration(text, quote, lang string) (found, whole bool) {
	if strings.TrimSpace(quote) == "" {
		return false, false
	}
	for off := 0; ; {
		i := strings.Index(text[off:], quote)
		if i < 0 {
			return found, false
		}
		i += off
		found = true
		before := strings.TrimRight(text[:i], " ")
		after := strings.TrimLeft(text[i+len(quote):], " ")
		if !continues(before, after, lang) {
			return true, true
		}
		off = i + len(quote)
	}
}

func continues(before, after, lang string) bool {
	if lang == LangZhHans {
		for _, sep := range []string{"、", "和", "及", "与"} {
			if strings.HasSuffix(before, sep) || strings.HasPrefix(after, sep) {
				return true
			}
		}
		return false
	}
	before, after = strings.ToLower(before), strings.ToLower(after)
	for _, sep := range []string{",", "，", " and", " or"} {
		if strings.HasSuffix(before, sep) {
			return true
		}
	}
	if strings.HasPrefix(after, "and ") || strings.HasPrefix(after, "or ") {
		return true
	}
	// A comma after the list may open a phrase of its own ("…, for
	// registration"); it continues the list only with a further "and" or
	// "or" item, which ", and other information" is not.
	if rest, ok := strings.CutPrefix(after, ","); ok {
		rest = strings.TrimLeft(rest, " ")
		return (strings.HasPrefix(rest, "and ") || strings.HasPrefix(rest, "or ")) && !strings.HasPrefix(rest, "and other")
	}
	return false
}

// checkPermissions makes sure the catalogue maps exactly the permissions the
// policy lists, in every language.
func (c *Catalogue) checkPermissions(docs map[string]*policy.Document) error {
	mapped := map[string]bool{}
	for _, perm := range c.permissions {
		mapped[perm.ID] = true
		for _, lang := range Languages {
			if _, _, ok := docs[lang].Permission(perm.ID); !ok {
				return errs.New(errs.Invalid, "catalogue %s: permission %q: not in the %s policy's permission list", c.version, perm.ID, lang)
			}
		}
	}
	for _, b := range docs[LangZhHans].Permissions() {
		if !mapped[b.ID] {
			_, name, _ := docs[LangZhHans].Permission(b.ID)
			return errs.New(errs.Invalid, "catalogue %s: permission %q (%s): not mapped; say which business function needs it", c.version, b.ID, name)
		}
	}
	return nil
}

// itemSet is a list of data items without repeats, compared by normItem.
type itemSet struct {
	keys []string
	text map[string]string // key → the item as written
	from map[string]string // key → where the policy lists it
}

func newItemSet() *itemSet {
	return &itemSet{text: map[string]string{}, from: map[string]string{}}
}

func (s *itemSet) add(item, from string) {
	k := normItem(item)
	if _, ok := s.text[k]; ok {
		return
	}
	s.keys = append(s.keys, k)
	s.text[k], s.from[k] = item, from
}

func (s *itemSet) has(k string) bool { _, ok := s.text[k]; return ok }

// normItem is the form two items are compared in: the policy's English
// starts items in lower case where the catalogue capitalises them, either
// may use full-width parentheses or stray spaces, and a parenthesis the
// policy opens or closes without its pair (`广告标识符“IDFA” 与 “IDFV”)`) is
// a slip of the text, not a different item.
func normItem(s string) string {
	s = strings.NewReplacer("\uff08", "(", "\uff09", ")").Replace(s)
	s = strings.TrimRight(strings.TrimSpace(s), ".\u3002")
	return strings.Join(strings.Fields(BalanceBrackets(strings.ToLower(s))), " ")
}
